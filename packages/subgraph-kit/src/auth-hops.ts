/**
 * `x-auth-hops`: the calls a subgraph made to downstream services for one
 * request, reported to the gateway in a response header outside production
 * (with `x-auth-cost`, by the same rule), so the gateway's auth trace can
 * show each hop beyond the subgraphs. Both sides of the header are here.
 *
 * The header is a comma-separated list, one entry per call, in the order the
 * calls ended:
 *
 *   payments;status=200;ms=12.5;verified=1;verify-cache-hits=0;store-reads=0;exchanged=1;exchange-cache-hits=0;downstream-calls=0
 *
 * the service's name, the HTTP status of its answer (`0`: no answer), how
 * long the call took, then what carrying the caller cost on this hop in
 * `x-auth-cost`'s own format (auth-cost.ts): the token exchange the call
 * needed, and what the service reported of its own share. Names and counts
 * only: never a token, a session id or a header's value. At most
 * MAX_REPORTED_HOPS calls are listed (the cost covers every call anyway);
 * an entry that does not parse is skipped.
 */
import { emptySubgraphCost, formatSubgraphCost, parseSubgraphCost, type SubgraphCost } from './auth-cost.js';

export const AUTH_HOPS_HEADER = 'x-auth-hops';

/** Calls listed per response; a subgraph resolving a long list may call a service per item. */
export const MAX_REPORTED_HOPS = 16;

/** One call a subgraph made to a downstream service on the caller's behalf. */
export interface DownstreamHop {
  /** The service's name, as the subgraph's `downstream` setting lists it. */
  service: string;
  /** The HTTP status the service answered; 0 when it did not answer (or the call never left: a failed exchange). */
  status: number;
  /** Milliseconds from the start of the call (its token exchange included) to the answer. */
  ms: number;
  /** The exchange this call needed (tokensExchanged, exchangeCacheHits) plus the service's own report. */
  cost: SubgraphCost;
}

const SERVICE_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** Notes one call on `hops`, unless MAX_REPORTED_HOPS are listed already. */
export function noteHop(hops: DownstreamHop[], hop: DownstreamHop): void {
  if (hops.length < MAX_REPORTED_HOPS) hops.push(hop);
}

export function formatHops(hops: readonly DownstreamHop[]): string {
  return hops
    .slice(0, MAX_REPORTED_HOPS)
    .map((hop) => `${hop.service};status=${hop.status};ms=${Math.round(hop.ms * 10) / 10};${formatSubgraphCost(hop.cost)}`)
    .join(', ');
}

/** What a subgraph reported; an entry with a bad name, status or duration is skipped. */
export function parseHops(header: string | null | undefined): DownstreamHop[] {
  if (!header) return [];
  const hops: DownstreamHop[] = [];
  for (const entry of header.split(',').slice(0, MAX_REPORTED_HOPS)) {
    const [service, statusPart, msPart, ...rest] = entry.trim().split(';');
    const status = Number(statusPart?.startsWith('status=') ? statusPart.slice(7) : NaN);
    const ms = Number(msPart?.startsWith('ms=') ? msPart.slice(3) : NaN);
    if (!SERVICE_NAME.test(service) || !Number.isInteger(status) || status < 0 || status > 599 || !(ms >= 0)) continue;
    hops.push({ service, status, ms, cost: rest.length > 0 ? parseSubgraphCost(rest.join(';')) : emptySubgraphCost() });
  }
  return hops;
}
