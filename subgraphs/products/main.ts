import { runSubgraph } from '../../shared/subgraph-server.js';
import { productsSubgraph } from './index.js';

runSubgraph(productsSubgraph);
