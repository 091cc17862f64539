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
  /** Session-store reads, gateway, subgraphs and downstream services together. */
  storeReads: number;
  /** Token exchanges subgraphs made for calls to downstream services (token mode). */
  tokensExchanged: number;
  /** Exchanged tokens subgraphs took from their cache. */
  exchangeCacheHits: number;
  /** Calls subgraphs made to downstream services on the caller's behalf. */
  downstreamCalls: number;
}

export function emptyAuthCost(): AuthCost {
  return { subgraphFetches: 0, tokensSigned: 0, tokenCacheHits: 0, tokensVerified: 0, verifyCacheHits: 0, storeReads: 0, tokensExchanged: 0, exchangeCacheHits: 0, downstreamCalls: 0 };
}

/** Adds one subgraph's `x-auth-cost` header to the request's total. */
export function addSubgraphCost(total: AuthCost, header: string | null | undefined): void {
  // A subgraph's report includes what the downstream services it called reported to it.
  const cost = parseSubgraphCost(header);
  for (const field of ['tokensVerified', 'verifyCacheHits', 'storeReads', 'tokensExchanged', 'exchangeCacheHits', 'downstreamCalls'] as const) total[field] += cost[field];
}
