/**
 * "How identity travelled", beside GraphiQL's response: the auth trace of the
 * last query drawn as the path it took — client → gateway → each subgraph
 * fetch (→ each downstream service) — with what carried the caller on every
 * hop (an identity token's claims, or a session id's hash and the store
 * reads it caused), what the subgraph did to check it, and the fields the
 * gateway withheld; the planner's own plan in a second tab. Token and
 * session mode are told apart by colour and wording at a glance.
 */
import { createElement as h, Fragment, useEffect, useState, type ReactNode } from 'react';
import { ownShare, type AuthCostSummary, type AuthTrace, type TraceState, type TraceStore, type TracedFetch } from './trace.js';

type Tab = 'identity' | 'plan';
type Hop = TracedFetch['downstream'][number];
type Withheld = AuthTrace['withheld'][number];

function useTraceState(store: TraceStore): TraceState {
  const [state, setState] = useState(store.state);
  useEffect(() => store.subscribe(setState), [store]);
  return state;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const clock = (seconds: number) => new Date(seconds * 1000).toLocaleTimeString([], { hour12: false });

export function TracePanel({ store }: { store: TraceStore }) {
  const state = useTraceState(store);
  const [tab, setTab] = useState<Tab>('identity');
  const [open, setOpen] = useState(true);
  if (!open) {
    return h('aside', { className: 'pg-trace pg-trace-closed', 'aria-label': 'How identity travelled' }, h('button', { type: 'button', onClick: () => setOpen(true), title: 'Show how identity travelled' }, '◂ How identity travelled'));
  }
  const tabButton = (name: Tab, label: string) =>
    h('button', { type: 'button', role: 'tab', 'aria-selected': tab === name, 'data-testid': `trace-tab-${name}`, onClick: () => setTab(name) }, label);
  return h(
    'aside',
    { className: 'pg-trace', 'aria-label': 'How identity travelled', 'data-testid': 'trace-panel', 'data-state': state.status },
    h(
      'div',
      { className: 'pg-trace-tabs', role: 'tablist' },
      tabButton('identity', 'How identity travelled'),
      tabButton('plan', 'Query plan'),
      h('button', { type: 'button', className: 'pg-trace-hide', onClick: () => setOpen(false), title: 'Hide this panel' }, '▸'),
    ),
    h('div', { className: 'pg-trace-body', role: 'tabpanel' }, tab === 'identity' ? h(IdentityView, { state }) : h(PlanView, { state })),
  );
}

function IdentityView({ state }: { state: TraceState }) {
  if (state.status === 'idle') return h('p', { className: 'pg-trace-note' }, 'Run a query: this panel shows how your identity reached each subgraph, what that cost, and what was withheld.');
  if (state.status === 'none') {
    return h('p', { className: 'pg-trace-note', 'data-testid': 'trace-absent' }, `The answer (HTTP ${state.httpStatus}) carried no auth trace: the gateway sends one only with AUTH_TRACE on (outside production by default).`);
  }
  const { trace, cost } = state;
  const total = Math.max(trace.durationMs, ...trace.fetches.map((fetch) => fetch.startMs + fetch.durationMs), 1);
  return h(
    Fragment,
    null,
    h(Totals, { trace, cost }),
    h(CallerHop, { trace }),
    trace.fetches.length === 0 ? h('p', { className: 'pg-trace-note' }, 'No subgraph was fetched.') : null,
    h('ol', { className: 'pg-hops' }, ...trace.fetches.map((fetch, index) => h(FetchHop, { key: index, fetch, total }))),
    h(WithheldList, { withheld: trace.withheld }),
  );
}

/** client → gateway: who the gateway authenticated, and how. */
function CallerHop({ trace }: { trace: AuthTrace }) {
  const { caller, mode } = trace;
  const credential = mode === 'token' ? 'access token (Authorization: Bearer)' : mode === 'session' ? 'session cookie (fedgw.sid)' : 'credential';
  return h(
    'div',
    { className: `pg-caller pg-mode-${mode}`, 'data-testid': 'trace-caller' },
    h('div', { className: 'pg-hop-line' }, h('strong', null, 'client → gateway'), h('span', { className: 'pg-badge' }, `${mode} mode`)),
    h(
      'div',
      null,
      caller.id === null ? 'anonymous caller' : h(Fragment, null, 'caller ', h('code', { 'data-testid': 'trace-caller-id' }, caller.id), ' · scopes ', h('code', null, caller.scopes.join(' ') || 'none')),
      ` · by its ${credential}`,
      mode === 'session' || caller.storeReads > 0 ? h('span', { 'data-testid': 'trace-gateway-store-reads' }, ` · ${plural(caller.storeReads, 'store read')}`) : null,
    ),
  );
}

function FetchHop({ fetch, total }: { fetch: TracedFetch; total: number }) {
  const status = fetch.status === null ? 'no answer' : String(fetch.status);
  return h(
    'li',
    { className: `pg-hop pg-via-${fetch.carrier.via}`, 'data-testid': 'trace-hop', 'data-subgraph': fetch.subgraph },
    h(
      'div',
      { className: 'pg-hop-line' },
      h('strong', null, `gateway → ${fetch.subgraph}`),
      h('span', { className: `pg-status-code${fetch.status === 200 ? '' : ' pg-bad'}` }, `${status} · ${fetch.durationMs} ms`),
    ),
    h('div', { className: 'pg-kind' }, fetch.kind === 'entities' ? h(Fragment, null, '_entities fetch at ', h('code', null, fetch.path)) : `${fetch.kind} at the root of the response`),
    h('div', { className: 'pg-bar', 'aria-hidden': true }, h('span', { style: { marginLeft: `${(fetch.startMs / total) * 100}%`, width: `${Math.max((fetch.durationMs / total) * 100, 1)}%` } })),
    h(Carrier, { fetch }),
    h(SubgraphCheck, { fetch }),
    fetch.downstream.length > 0 ? h('ul', { className: 'pg-downstream' }, ...fetch.downstream.map((hop, index) => h(DownstreamHopLine, { key: index, from: fetch.subgraph, hop }))) : null,
  );
}

/** What the gateway sent to carry the caller on this fetch. */
function Carrier({ fetch }: { fetch: TracedFetch }) {
  const carrier = fetch.carrier;
  if (carrier.via === 'nothing') return h('div', { className: 'pg-carrier' }, 'carried: nothing (anonymous caller)');
  if (carrier.via === 'session-id') {
    return h('div', { className: 'pg-carrier' }, 'carried: X-Session-Id, hash ', h('code', { 'data-testid': 'trace-session' }, carrier.session));
  }
  const { claims } = carrier;
  const claim = (name: string, value: ReactNode, title?: string) => h('span', { className: 'pg-claim', 'data-testid': `claim-${name}`, title }, h('em', null, name), ' ', h('code', null, value));
  return h(
    'div',
    { className: 'pg-carrier' },
    h('div', null, 'carried: identity token (JWT) ', h('span', { className: 'pg-badge', 'data-testid': 'trace-token-source' }, carrier.token === 'signed' ? 'signed for this fetch' : "from the gateway's cache")),
    h('div', { className: 'pg-claims' }, claim('sub', claims.sub ?? '(none: anonymous)'), claim('scope', claims.scope || '(none)'), claim('aud', claims.aud)),
    h(
      'div',
      { className: 'pg-claims pg-claims-more' },
      claim('iss', claims.iss),
      claim('iat', clock(claims.iat), String(claims.iat)),
      claim('exp', `${clock(claims.exp)} (+${claims.exp - claims.iat} s)`, String(claims.exp)),
      claim('jti', `${claims.jti.slice(0, 8)}…`, claims.jti),
      claim('kid', `${claims.kid.slice(0, 8)}…`, claims.kid),
    ),
  );
}

/** What the subgraph did with it: its own share of `x-auth-cost`, its calls beyond taken off. */
function SubgraphCheck({ fetch }: { fetch: TracedFetch }) {
  const own = ownShare(fetch);
  if (!own) return h('div', { className: 'pg-check' }, `${fetch.subgraph} reported no cost (a production subgraph does not).`);
  const parts: string[] = [];
  if (own.tokensVerified > 0) parts.push('checked the signature');
  if (own.verifyCacheHits > 0) parts.push('answered from its verified-token cache');
  if (own.storeReads > 0 || fetch.carrier.via === 'session-id') parts.push(`${plural(own.storeReads, 'store read')} to look the session up`);
  if (parts.length === 0) parts.push('nothing to check');
  return h('div', { className: 'pg-check', 'data-testid': 'trace-check', 'data-store-reads': own.storeReads }, `${fetch.subgraph}: ${parts.join(', ')}`);
}

function DownstreamHopLine({ from, hop }: { from: string; hop: Hop }) {
  const how: string[] = [];
  if (hop.cost.tokensExchanged > 0) how.push('token exchanged at the gateway');
  if (hop.cost.exchangeCacheHits > 0) how.push(`exchanged token from ${from}'s cache`);
  if (hop.cost.tokensVerified > 0) how.push(`${hop.service} checked the signature`);
  if (hop.cost.verifyCacheHits > 0) how.push(`${hop.service} answered from its cache`);
  if (hop.cost.storeReads > 0) how.push(`session id forwarded, ${plural(hop.cost.storeReads, 'store read')}`);
  return h(
    'li',
    { 'data-testid': 'trace-downstream', 'data-service': hop.service },
    h('strong', null, `${from} → ${hop.service}`),
    ` ${hop.status === 0 ? 'no answer' : hop.status} · ${hop.ms} ms`,
    how.length > 0 ? ` · ${how.join(', ')}` : '',
  );
}

function WithheldList({ withheld }: { withheld: Withheld[] }) {
  if (withheld.length === 0) return h('p', { className: 'pg-trace-note', 'data-testid': 'trace-withheld-none' }, 'Nothing withheld: every field asked for was allowed.');
  return h(
    'table',
    { className: 'pg-withheld', 'data-testid': 'trace-withheld' },
    h('caption', null, 'Withheld by the gateway (never planned, answered null)'),
    h('thead', null, h('tr', null, h('th', null, 'field'), h('th', null, 'directive'), h('th', null, 'path'))),
    h(
      'tbody',
      null,
      ...withheld.map((field) =>
        h(
          'tr',
          { key: field.coordinate, 'data-testid': 'trace-withheld-row', 'data-coordinate': field.coordinate },
          h('td', null, h('code', null, field.coordinate)),
          h('td', null, h('code', null, `@${field.directive}`)),
          h('td', null, field.paths.length === 0 ? '—' : field.paths.join(', ') + (field.count > field.paths.length ? ` (+${field.count - field.paths.length})` : '')),
        ),
      ),
    ),
  );
}

function Totals({ trace, cost }: { trace: AuthTrace; cost?: AuthCostSummary }) {
  const signed = trace.fetches.filter((fetch) => fetch.carrier.via === 'identity-token' && fetch.carrier.token === 'signed').length;
  const tokens = trace.fetches.filter((fetch) => fetch.carrier.via === 'identity-token').length;
  const parts = [plural(trace.fetches.length, 'subgraph fetch', 'subgraph fetches'), `${trace.durationMs} ms`];
  if (tokens > 0) parts.push(`${plural(signed, 'token')} signed, ${tokens - signed} from cache`);
  if (cost?.storeReads !== undefined) parts.push(plural(cost.storeReads, 'store read'));
  if (cost?.downstreamCalls) parts.push(plural(cost.downstreamCalls, 'downstream call'));
  return h('p', { className: 'pg-totals', 'data-testid': 'trace-totals' }, parts.join(' · '));
}

function PlanView({ state }: { state: TraceState }) {
  if (state.status !== 'traced') return h('p', { className: 'pg-trace-note' }, 'Run a query to see the plan the gateway made for it.');
  if (state.trace.queryPlan === null) return h('p', { className: 'pg-trace-note' }, 'Nothing was planned for this request.');
  return h(
    Fragment,
    null,
    h('p', { className: 'pg-trace-note' }, "The query planner's own plan (@apollo/query-planner), for the operation as the gateway ran it: withheld fields are already gone."),
    h('pre', { className: 'pg-plan', 'data-testid': 'trace-plan' }, state.trace.queryPlan),
  );
}
