/**
 * What authentication cost one client request, across processes: the price
 * of each mode made visible. Subgraphs report their share in the
 * `x-auth-cost` response header (its format, both sides:
 * @fedgw/subgraph-kit, auth-cost.ts); the gateway adds it up and, outside
 * production, returns the total as the `authCost` response extension.
 */
import { addCost, emptySubgraphCost, parseSubgraphCost, type SubgraphCost } from '@fedgw/subgraph-kit';

/** The whole request's cost: what every subgraph reported (SubgraphCost, the kit's), and the gateway's own share. */
export interface AuthCost extends SubgraphCost {
  subgraphFetches: number;
  /** Identity tokens signed by the gateway for this request (cache misses). */
  tokensSigned: number;
  /** Identity tokens taken from the gateway's cache. */
  tokenCacheHits: number;
  /** Session-store writes by the gateway for this request (session mode: the throttled renewal of the idle timeout). */
  storeWrites: number;
}

export function emptyAuthCost(): AuthCost {
  return { subgraphFetches: 0, tokensSigned: 0, tokenCacheHits: 0, storeWrites: 0, ...emptySubgraphCost() };
}

/** Adds one subgraph's `x-auth-cost` header to the request's total (it includes what the services it called reported). */
export function addSubgraphCost(total: AuthCost, header: string | null | undefined): void {
  addCost(total, parseSubgraphCost(header));
}
