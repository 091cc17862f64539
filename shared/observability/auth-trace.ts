/**
 * The auth trace of one client request: how the caller's identity travelled
 * — for every subgraph fetch, what carried the caller and what it cost, the
 * calls beyond the subgraphs, the fields withheld, the query plan. The
 * gateway returns it as the `authTrace` response extension when the trace is
 * on (AUTH_TRACE: outside production by default) and the playground draws it
 * (gateway/playground/client/trace-panel.ts). `AuthTrace` below is that
 * contract (docs/design.md, "The auth trace").
 *
 * Built only when the trace is on: a request without a recorder pays nothing.
 * It never holds a credential: identity tokens appear as their decoded
 * claims (no token, no signature), session ids as shortHash() only.
 */
import { parseHops, parseSubgraphCost, AUTH_COST_HEADER, AUTH_HOPS_HEADER, type DownstreamHop, type Identity, type SubgraphCost } from '@fedgw/subgraph-kit';
import type { MintedClaims } from '@fedgw/subgraph-kit/token';

export const AUTH_TRACE_EXTENSION = 'authTrace';

/** Paths listed per withheld field; a field in a long list is withheld at every item. */
const MAX_PATHS = 10;

/** What carried the caller on one fetch; `via` names the carrier, not the mode. */
export type IdentityCarrier =
  /** An identity token addressed to the subgraph: its claims, and whether it was signed for this fetch or reused. */
  | { via: 'identity-token'; token: 'signed' | 'cached'; claims: MintedClaims }
  /** A session id: shortHash() of it, never the id. */
  | { via: 'session-id'; session: string }
  /** Nothing: an anonymous caller in a mode that then sends nothing. */
  | { via: 'nothing' };

export interface TracedFetch {
  subgraph: string;
  /** `query`/`mutation` for a root fetch, `entities` for an `_entities` fetch. */
  kind: 'query' | 'mutation' | 'entities';
  /** Where in the response the fetch's results go, as the plan writes it (`me.orders.@.items.@.product`); '' at the root. */
  path: string;
  /** Milliseconds from the start of the request to the start of the fetch, and the fetch's own duration. */
  startMs: number;
  durationMs: number;
  /** The subgraph's HTTP status; null when it did not answer. */
  status: number | null;
  carrier: IdentityCarrier;
  /** The subgraph's share of the cost (its `x-auth-cost`, its calls beyond included); null when it reported none (production). */
  reported: SubgraphCost | null;
  /** The calls it made to downstream services (its `x-auth-hops`). */
  downstream: DownstreamHop[];
}

export interface WithheldField {
  /** `Type.field`. */
  coordinate: string;
  /** The directive that withheld it: `authenticated`, `requiresScopes` or `policy`. */
  directive: string;
  /** Response paths where it was answered null (`me.orders.0.items.0.product.cost`), at most MAX_PATHS. */
  paths: string[];
  /** How many paths in all. */
  count: number;
}

export interface AuthTrace {
  /** The gateway's AUTH_MODE. */
  mode: string;
  /** Who the gateway authenticated (null id: anonymous), and the store reads that took. */
  caller: { id: string | null; scopes: string[]; storeReads: number };
  /** Milliseconds from the start of the request to the answer. */
  durationMs: number;
  /** In the order the fetches started. */
  fetches: TracedFetch[];
  withheld: WithheldField[];
  /** The planner's own pretty-printed plan; null when nothing was planned (every field withheld, an error first). */
  queryPlan: string | null;
}

/** What a mode's propagation tells the trace about one fetch (shared/auth-modes/contract.ts). */
export interface CarrierNote {
  carried(carrier: IdentityCarrier): void;
}

const elapsed = (since: number) => Math.round((performance.now() - since) * 10) / 10;

/** One fetch while it runs. */
export class FetchRecorder implements CarrierNote {
  private readonly started = performance.now();
  readonly entry: TracedFetch;

  constructor(subgraph: string, kind: TracedFetch['kind'], path: string, traceStart: number) {
    this.entry = { subgraph, kind, path, startMs: elapsed(traceStart), durationMs: 0, status: null, carrier: { via: 'nothing' }, reported: null, downstream: [] };
  }

  carried(carrier: IdentityCarrier): void {
    this.entry.carrier = carrier;
  }

  /** The subgraph's answer: its status and what it reported in `x-auth-cost` and `x-auth-hops`. */
  answered(status: number, headers: { get(name: string): string | null }): void {
    this.entry.durationMs = elapsed(this.started);
    this.entry.status = status;
    const cost = headers.get(AUTH_COST_HEADER);
    if (cost !== null) this.entry.reported = parseSubgraphCost(cost);
    this.entry.downstream = parseHops(headers.get(AUTH_HOPS_HEADER));
  }

  /** No usable answer: `status` when the subgraph answered an HTTP error, null when it did not answer. */
  failed(status: number | null): void {
    this.entry.durationMs = elapsed(this.started);
    this.entry.status = status;
  }
}

/** The trace of one client request, built as it runs. */
export class AuthTraceRecorder {
  private readonly started = performance.now();
  private readonly fetches: FetchRecorder[] = [];
  private readonly withheld = new Map<string, WithheldField>();
  private plan: (() => string) | undefined;

  constructor(
    private readonly mode: string,
    private readonly identity: Identity | null,
    /** What authenticating the caller cost the gateway in store reads (its AuthCost after authenticate). */
    private readonly storeReads: number,
  ) {}

  fetch(subgraph: string, kind: TracedFetch['kind'], path: string): FetchRecorder {
    const fetch = new FetchRecorder(subgraph, kind, path, this.started);
    this.fetches.push(fetch);
    return fetch;
  }

  /** `coordinate` was withheld from the caller by `directive` (once per field and request). */
  denied(directive: string, coordinate: string): void {
    const field = this.withheld.get(coordinate);
    if (field) field.directive = directive;
    else this.withheld.set(coordinate, { coordinate, directive, paths: [], count: 0 });
  }

  /** `coordinate` was answered null at `path`. */
  withheldAt(coordinate: string, path: readonly (string | number)[]): void {
    let field = this.withheld.get(coordinate);
    if (!field) this.withheld.set(coordinate, (field = { coordinate, directive: 'unknown', paths: [], count: 0 }));
    field.count++;
    if (field.paths.length < MAX_PATHS) field.paths.push(path.join('.'));
  }

  /** The query plan, formatted only if the trace is sent. */
  planned(format: () => string): void {
    this.plan = format;
  }

  finish(): AuthTrace {
    return {
      mode: this.mode,
      caller: { id: this.identity?.id ?? null, scopes: [...(this.identity?.scopes ?? [])], storeReads: this.storeReads },
      durationMs: elapsed(this.started),
      fetches: this.fetches.map((fetch) => fetch.entry),
      withheld: [...this.withheld.values()],
      queryPlan: this.plan ? this.plan() : null,
    };
  }
}
