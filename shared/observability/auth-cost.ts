/**
 * What authentication cost one client request, across processes: the price
 * of each mode made visible. Subgraphs report their share in a response
 * header; the gateway adds it up and, outside production, returns the total
 * as the `authCost` response extension.
 *
 * The subgraph header (`x-auth-cost`) is `verified=N;verify-cache-hits=N;store-reads=N`:
 * `verified` counts only real signature checks; a token answered from the
 * subgraph's verified-token cache (shared/verified-token-cache.ts) counts as
 * a `verify-cache-hit` instead, so every authenticated fetch is in exactly
 * one of the two. Unknown parts are ignored, so either side can grow.
 */
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

export const AUTH_COST_HEADER = 'x-auth-cost';

export function emptyAuthCost(): AuthCost {
  return { subgraphFetches: 0, tokensSigned: 0, tokenCacheHits: 0, tokensVerified: 0, verifyCacheHits: 0, storeReads: 0 };
}

/** One subgraph's share of a request's cost. */
export type SubgraphCost = Pick<AuthCost, 'tokensVerified' | 'verifyCacheHits' | 'storeReads'>;

export function emptySubgraphCost(): SubgraphCost {
  return { tokensVerified: 0, verifyCacheHits: 0, storeReads: 0 };
}

/** A subgraph's share: `verified=1;verify-cache-hits=0;store-reads=0`. */
export function formatSubgraphCost(cost: SubgraphCost): string {
  return `verified=${cost.tokensVerified};verify-cache-hits=${cost.verifyCacheHits};store-reads=${cost.storeReads}`;
}

export function addSubgraphCost(total: AuthCost, header: string | null | undefined): void {
  if (!header) return;
  for (const part of header.split(';')) {
    const [name, value] = part.split('=');
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0) continue;
    if (name === 'verified') total.tokensVerified += n;
    else if (name === 'verify-cache-hits') total.verifyCacheHits += n;
    else if (name === 'store-reads') total.storeReads += n;
  }
}
