import { runSubgraph } from '../../shared/subgraph-server.js';
import { ordersSubgraph } from './index.js';

runSubgraph(ordersSubgraph);
