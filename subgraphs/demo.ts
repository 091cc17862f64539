/**
 * The demo graph (docs/design.md, "Demo graph"): the four subgraphs and the
 * query that crosses all of them through entity fetches. `npm start` runs
 * them from their own entry points; the tests and the benchmark start them
 * from this list.
 */
import type { SubgraphDefinition } from '../shared/subgraph-server.js';
import { accountsSubgraph } from './accounts/index.js';
import { ordersSubgraph } from './orders/index.js';
import { productsSubgraph } from './products/index.js';
import { reviewsSubgraph } from './reviews/index.js';

export const DEMO_SUBGRAPHS: SubgraphDefinition[] = [accountsSubgraph, productsSubgraph, reviewsSubgraph, ordersSubgraph];

export const DEEP_QUERY = /* GraphQL */ `{ me { id name orders { id items { quantity product { name cost reviews { body mine author { name } } } } } } }`;
