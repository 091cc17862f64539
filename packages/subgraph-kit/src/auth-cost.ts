/**
 * `x-auth-cost`: what authenticating one request cost a service, reported to
 * its caller in a response header outside production. A subgraph reports to
 * the gateway, which adds it up across subgraphs (its `extensions.authCost`);
 * a downstream service reports to the subgraph that called it, which adds
 * that to its own. Both sides of the header are here.
 *
 * The header is `verified=N;verify-cache-hits=N;store-reads=N`, followed by
 * `;exchanged=N;exchange-cache-hits=N;downstream-calls=N` only when one of
 * those is not zero (so a service that calls no one reports what it always did):
 * `verified` counts only real signature checks; a token answered from the
 * verified-token cache (verified-token-cache.ts) counts as a
 * `verify-cache-hit` instead, so every authenticated request is in exactly
 * one of the two; likewise `exchanged` (a token exchange at the gateway) and
 * `exchange-cache-hits` for each call to a downstream service in token mode.
 * Unknown parts are ignored, so either side can grow.
 */

export const AUTH_COST_HEADER = 'x-auth-cost';

/** One service's share of a request's cost (with what the services it called reported). */
export interface SubgraphCost {
  /** Tokens verified (real signature checks). */
  tokensVerified: number;
  /** Tokens already verified, taken from the cache (no signature check). */
  verifyCacheHits: number;
  /** Session-store reads. */
  storeReads: number;
  /** Token exchanges at the gateway (RFC 8693) for a call to a downstream service. */
  tokensExchanged: number;
  /** Exchanged tokens taken from the cache. */
  exchangeCacheHits: number;
  /** Calls to downstream services on the caller's behalf. */
  downstreamCalls: number;
}

/** Each count and its name in the header. */
const PARTS = [
  ['tokensVerified', 'verified'],
  ['verifyCacheHits', 'verify-cache-hits'],
  ['storeReads', 'store-reads'],
  ['tokensExchanged', 'exchanged'],
  ['exchangeCacheHits', 'exchange-cache-hits'],
  ['downstreamCalls', 'downstream-calls'],
] as const satisfies readonly (readonly [keyof SubgraphCost, string])[];

export function emptySubgraphCost(): SubgraphCost {
  return { tokensVerified: 0, verifyCacheHits: 0, storeReads: 0, tokensExchanged: 0, exchangeCacheHits: 0, downstreamCalls: 0 };
}

/** The parts every report carries; the rest only when a service called another. */
const ALWAYS = 3;

/** A service's share: `verified=1;verify-cache-hits=0;store-reads=0[;exchanged=…]`. */
export function formatSubgraphCost(cost: SubgraphCost): string {
  const calledOthers = PARTS.slice(ALWAYS).some(([field]) => cost[field] > 0);
  const parts = calledOthers ? PARTS : PARTS.slice(0, ALWAYS);
  return parts.map(([field, name]) => `${name}=${cost[field]}`).join(';');
}

/** What a service reported; missing, unknown or malformed parts count nothing. */
export function parseSubgraphCost(header: string | null | undefined): SubgraphCost {
  const cost = emptySubgraphCost();
  if (!header) return cost;
  for (const part of header.split(';')) {
    const [name, value] = part.split('=');
    const n = Number(value);
    const field = PARTS.find(([, partName]) => partName === name)?.[0];
    if (field && Number.isSafeInteger(n) && n >= 0) cost[field] += n;
  }
  return cost;
}

/** Adds `more` (another service's report) into `total`. */
export function addCost(total: SubgraphCost, more: SubgraphCost): void {
  for (const [field] of PARTS) total[field] += more[field];
}
