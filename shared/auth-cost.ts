/**
 * What authentication cost one client request, across processes: the price
 * of each mode made visible. Subgraphs report their share in a response
 * header; the gateway adds it up and, outside production, returns the total
 * as the `authCost` response extension.
 */
export interface AuthCost {
  subgraphFetches: number;
  /** Identity tokens signed by the gateway for this request (cache misses). */
  tokensSigned: number;
  /** Identity tokens taken from the gateway's cache. */
  tokenCacheHits: number;
  /** Identity tokens verified by subgraphs (signature checks). */
  tokensVerified: number;
  /** Session-store reads, gateway and subgraphs together. */
  storeReads: number;
}

export const AUTH_COST_HEADER = 'x-auth-cost';

export function emptyAuthCost(): AuthCost {
  return { subgraphFetches: 0, tokensSigned: 0, tokenCacheHits: 0, tokensVerified: 0, storeReads: 0 };
}

/** A subgraph's share: `verified=1;store-reads=0`. */
export function formatSubgraphCost(cost: Pick<AuthCost, 'tokensVerified' | 'storeReads'>): string {
  return `verified=${cost.tokensVerified};store-reads=${cost.storeReads}`;
}

export function addSubgraphCost(total: AuthCost, header: string | null | undefined): void {
  if (!header) return;
  for (const part of header.split(';')) {
    const [name, value] = part.split('=');
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0) continue;
    if (name === 'verified') total.tokensVerified += n;
    else if (name === 'store-reads') total.storeReads += n;
  }
}
