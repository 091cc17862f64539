/**
 * The auth trace of the last query the playground ran: the fetcher hands
 * each answer's `extensions.authTrace` (shared/observability/auth-trace.ts,
 * the contract) here, and the trace panel draws it. The trace is taken out
 * of the answer GraphiQL shows: the panel is its view.
 */
import type { AuthTrace, TracedFetch } from '../../../shared/observability/auth-trace.js';
import type { SubgraphCost } from '@fedgw/subgraph-kit';

export type { AuthTrace, TracedFetch };

/** The price counters the gateway sends beside it (`extensions.authCost`). */
export type AuthCostSummary = Record<string, number>;

export type TraceState =
  | { status: 'idle' }
  /** The gateway answered without a trace (AUTH_TRACE off), or the request failed before GraphQL. */
  | { status: 'none'; httpStatus: number }
  | { status: 'traced'; trace: AuthTrace; cost?: AuthCostSummary };

/** GraphiQL's own schema request: not what the user ran, so it leaves the panel as it is. */
const INTROSPECTION = 'IntrospectionQuery';

export class TraceStore {
  private current: TraceState = { status: 'idle' };
  private readonly listeners = new Set<(state: TraceState) => void>();

  get state(): TraceState {
    return this.current;
  }

  subscribe(listener: (state: TraceState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Takes the trace out of one answer to a query the user ran (the rest of the answer is left for GraphiQL). */
  take(operationName: string | null | undefined, httpStatus: number, body: { extensions?: Record<string, unknown> } | null): void {
    const extensions = body?.extensions;
    const trace = extensions?.authTrace as AuthTrace | undefined;
    if (extensions && trace !== undefined) {
      delete extensions.authTrace;
      if (Object.keys(extensions).length === 0) delete body!.extensions;
    }
    if (operationName === INTROSPECTION) return;
    this.set(trace ? { status: 'traced', trace, cost: extensions?.authCost as AuthCostSummary | undefined } : { status: 'none', httpStatus });
  }

  private set(state: TraceState): void {
    this.current = state;
    for (const listener of this.listeners) listener(state);
  }
}

const PER_SUBGRAPH: (keyof SubgraphCost)[] = ['tokensVerified', 'verifyCacheHits', 'storeReads'];

/**
 * What the subgraph itself did to learn the caller: its `x-auth-cost` report
 * includes what the services it called reported, so their share comes off.
 */
export function ownShare(fetch: TracedFetch): Pick<SubgraphCost, 'tokensVerified' | 'verifyCacheHits' | 'storeReads'> | null {
  if (!fetch.reported) return null;
  const own = { tokensVerified: fetch.reported.tokensVerified, verifyCacheHits: fetch.reported.verifyCacheHits, storeReads: fetch.reported.storeReads };
  for (const hop of fetch.downstream) for (const field of PER_SUBGRAPH) own[field as keyof typeof own] -= hop.cost[field];
  return own;
}
