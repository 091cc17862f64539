/**
 * What authentication cost one client request, across processes: the price
 * of each mode made visible. Subgraphs report their share in the
 * `x-auth-cost` response header (its format, both sides:
 * @fedgw/subgraph-kit, auth-cost.ts); the gateway adds it up and, outside
 * production, returns the total as the `authCost` response extension.
 */
import { parseSubgraphCost } from '@fedgw/subgraph-kit';

export interface AuthCost {
  subgraphFetches: number;
  /** Identity tokens signed by the gateway for this request (cache misses). */
  tokensSigned: number;
  /** Identity tokens taken from the gateway's cache. */
  tokenCacheHits: number;
  /** Identity tokens verified by subgraphs (real signature checks). */
  tokensVerified: number;
  /** Identity tokens a subgraph had already verified and took from its cache (no signature check). */
  verifyCacheHits: number;
  /** Session-store reads, gateway and subgraphs together. */
  storeReads: number;
}

export function emptyAuthCost(): AuthCost {
  return { subgraphFetches: 0, tokensSigned: 0, tokenCacheHits: 0, tokensVerified: 0, verifyCacheHits: 0, storeReads: 0 };
}

/** Adds one subgraph's `x-auth-cost` header to the request's total. */
export function addSubgraphCost(total: AuthCost, header: string | null | undefined): void {
  const cost = parseSubgraphCost(header);
  total.tokensVerified += cost.tokensVerified;
  total.verifyCacheHits += cost.verifyCacheHits;
  total.storeReads += cost.storeReads;
}
