/**
 * The demo graph (docs/design.md, "Demo graph"): the four subgraphs and the
 * query that crosses all of them through entity fetches. `npm start` runs
 * them from their own entry points; the tests and the benchmark start them
 * from this list.
 */
import { paymentsService } from '../downstream/payments/index.js';
import type { DownstreamServiceDefinition } from '../shared/downstream-service.js';
import type { SubgraphDefinition } from '../shared/subgraph-server.js';
import { accountsSubgraph } from './accounts/index.js';
import { ordersSubgraph } from './orders/index.js';
import { productsSubgraph } from './products/index.js';
import { reviewsSubgraph } from './reviews/index.js';

export const DEMO_SUBGRAPHS: SubgraphDefinition[] = [accountsSubgraph, productsSubgraph, reviewsSubgraph, ordersSubgraph];

/** The demo's downstream service, which orders calls on the caller's behalf. */
export const DEMO_DOWNSTREAM: DownstreamServiceDefinition[] = [paymentsService];

export const DEEP_QUERY = /* GraphQL */ `{ me { id name orders { id items { quantity product { name cost reviews { body mine author { name } } } } } } }`;

/** Three levels: gateway → orders → payments (Order.payment), the caller's identity at each. */
export const PAYMENT_QUERY = /* GraphQL */ `{ me { id orders { id payment { status last4 } } } }`;
