import { runSubgraph } from '../../shared/subgraph-server.js';
import { reviewsSubgraph } from './index.js';

runSubgraph(reviewsSubgraph);
