/**
 * `x-auth-cost`: what authenticating one request cost a subgraph, reported
 * to the gateway in a response header outside production, which adds it up
 * across subgraphs (the gateway's `extensions.authCost`). Both sides of the
 * header are here: the subgraph writes it, the gateway reads it.
 *
 * The header is `verified=N;verify-cache-hits=N;store-reads=N`: `verified`
 * counts only real signature checks; a token answered from the subgraph's
 * verified-token cache (verified-token-cache.ts) counts as a
 * `verify-cache-hit` instead, so every authenticated fetch is in exactly one
 * of the two. Unknown parts are ignored, so either side can grow.
 */

export const AUTH_COST_HEADER = 'x-auth-cost';

/** One subgraph's share of a request's cost. */
export interface SubgraphCost {
  /** Identity tokens verified (real signature checks). */
  tokensVerified: number;
  /** Identity tokens already verified, taken from the cache (no signature check). */
  verifyCacheHits: number;
  /** Session-store reads. */
  storeReads: number;
}

export function emptySubgraphCost(): SubgraphCost {
  return { tokensVerified: 0, verifyCacheHits: 0, storeReads: 0 };
}

/** A subgraph's share: `verified=1;verify-cache-hits=0;store-reads=0`. */
export function formatSubgraphCost(cost: SubgraphCost): string {
  return `verified=${cost.tokensVerified};verify-cache-hits=${cost.verifyCacheHits};store-reads=${cost.storeReads}`;
}

/** What a subgraph reported; missing, unknown or malformed parts count nothing. */
export function parseSubgraphCost(header: string | null | undefined): SubgraphCost {
  const cost = emptySubgraphCost();
  if (!header) return cost;
  for (const part of header.split(';')) {
    const [name, value] = part.split('=');
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0) continue;
    if (name === 'verified') cost.tokensVerified += n;
    else if (name === 'verify-cache-hits') cost.verifyCacheHits += n;
    else if (name === 'store-reads') cost.storeReads += n;
  }
  return cost;
}
