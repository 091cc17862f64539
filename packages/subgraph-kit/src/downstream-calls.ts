/**
 * Calls to a downstream service on behalf of one request's caller, the same
 * code in both modes and from a subgraph or a downstream service alike: the
 * mode adds what carries the caller (an exchanged token, or the session id),
 * and the service's own `x-auth-cost` report is added to the request's cost,
 * so the gateway's count covers every hop.
 *
 *   const answer = await context.downstream.fetch('payments', `${paymentsUrl}/payments/${order.id}`);
 *   const entry = await kit.downstream(req.headers, cost).fetch('ledger', `${ledgerUrl}/ledger/${id}`); // a downstream service, a hop further
 */
import { addCost, AUTH_COST_HEADER, emptySubgraphCost, parseSubgraphCost, type SubgraphCost } from './auth-cost.js';
import { noteHop, type DownstreamHop } from './auth-hops.js';
import { DownstreamUnavailableError } from './errors.js';
import type { RequestHeaders } from './headers.js';
import type { CallerForwarding } from './modes/contract.js';

const DEFAULT_TIMEOUT_MS = 5000;
/** Headers of the call that also go to a token exchange for it: the request's id and trace. */
const TRACE_HEADERS = ['x-request-id', 'traceparent', 'tracestate'];

function traceOf(headers: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => TRACE_HEADERS.includes(name.toLowerCase())));
}

export interface DownstreamInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Default 5 s. */
  timeoutMs?: number;
}

export interface DownstreamCalls {
  /**
   * `url` on `service` (one of the kit's `downstream` names) as the caller.
   * Throws AuthError TOKEN_EXCHANGE_FAILED (token mode) or a
   * DownstreamUnavailableError (no answer); any HTTP answer is returned as is.
   */
  fetch(service: string, url: string, init?: DownstreamInit): Promise<Response>;
}

export function downstreamCalls(
  authenticator: CallerForwarding,
  services: readonly string[],
  headers: RequestHeaders,
  cost: SubgraphCost,
  onCost?: () => void,
  /** Where each call is noted for `x-auth-hops` (auth-hops.ts), when the subgraph reports it. */
  hops?: DownstreamHop[],
): DownstreamCalls {
  return {
    async fetch(service, url, init = {}) {
      // A programming error, not a caller's: the service must be declared (the gateway's list says the same).
      if (!services.includes(service)) throw new TypeError(`${JSON.stringify(service)} is not among this service's downstream services (${services.join(', ') || 'none'})`);
      const started = performance.now();
      // This call's own share, kept apart so concurrent calls do not mix in its hop.
      const share = emptySubgraphCost();
      const done = (status: number) => {
        addCost(cost, share);
        if (hops) noteHop(hops, { service, status, ms: performance.now() - started, cost: share });
        onCost?.();
      };
      let credentials: Record<string, string>;
      try {
        credentials = await authenticator.credentialsFor(headers, service, share, traceOf(init.headers));
      } catch (error) {
        done(0);
        throw error;
      }
      cost.downstreamCalls++;
      let response: Response;
      try {
        response = await fetch(url, {
          method: init.method ?? 'GET',
          headers: { accept: 'application/json', ...init.headers, ...credentials },
          body: init.body,
          signal: AbortSignal.timeout(init.timeoutMs ?? DEFAULT_TIMEOUT_MS),
        });
      } catch (error) {
        done(0);
        throw new DownstreamUnavailableError(service, { cause: error });
      }
      addCost(share, parseSubgraphCost(response.headers.get(AUTH_COST_HEADER)));
      done(response.status);
      return response;
    },
  };
}
