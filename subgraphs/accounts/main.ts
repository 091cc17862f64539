import { runSubgraph } from '../../shared/subgraph-server.js';
import { accountsSubgraph } from './index.js';

runSubgraph(accountsSubgraph);
