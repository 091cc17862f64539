/**
 * The benchmark's variants and queries, and one variant up and running: its
 * subgraphs process (both graphs), one gateway process per graph, and the
 * credential a client presents to it.
 *
 * Variants: the peers — stock Apollo Gateway, Hive Gateway without auth and
 * with its JWT plugin — and this gateway with authentication switched off,
 * in token mode (also with request binding on: a proof signed per fetch), and
 * in session mode on SQLite and on Redis. The peers and
 * this gateway with auth off run over subgraphs with auth switched off (a
 * fixed caller, scripts/bench/auth-off.ts); token and session mode over the
 * same subgraph code with this project's auth in the gateway's mode.
 *
 * Queries: the demo graph's two (subgraphs/demo.ts) and the public
 * workload's two (scripts/bench/public/: the Guild's federation benchmark);
 * and the extra hop's pair — an order's payment (orders calls the payments
 * service on the caller's behalf) and the same query without it — run only
 * by the variants whose subgraphs know the caller (token and session mode):
 * payments answers a caller's own payments only, so with auth off there is
 * no caller to answer for, and the peers have no way to pass one on.
 * Every answer is checked: before the run each variant's answer to each
 * query must be (a)'s, byte for byte in canonical form, and the heavy
 * query's must be the Guild's expected response (its SHA-256); under load
 * every response body is compared with that canonical string.
 */
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { DEEP_QUERY, PAYMENT_QUERY } from '../../subgraphs/demo.js';
import { tempDir } from '../lib/local.js';
import type { AuthCost } from '../../shared/observability/auth-cost.js';
import { spawnChild, type ChildHandle } from './child.js';
import type { GatewaySpec } from './gateway-child.js';
import type { PaymentsStats } from './payments-child.js';
import { hiveJwtSetup } from './hive.js';
import { canonicalData, isExpectedTestQueryAnswer, PUBLIC_ME_QUERY, sha256, TEST_QUERY, TEST_QUERY_EXPECTED } from './public/index.js';
import type { GraphId, SubgraphLists, SubgraphsSpec, SubgraphStats } from './subgraphs-child.js';

export type { GraphId } from './subgraphs-child.js';

/**
 * a: Apollo Gateway, h: Hive Gateway, j: Hive Gateway + JWT, n: ours with no auth, t: token, b: token + request binding,
 * s: session/SQLite, r: session/Redis, m: ours with no auth again (the control: what the method reads between two identical gateways).
 */
export type VariantId = 'a' | 'h' | 'j' | 'n' | 't' | 'b' | 's' | 'r' | 'm';

export interface VariantDef {
  id: VariantId;
  /** Short label for tables and the chart. */
  label: string;
  description: string;
  kind: 'stock' | 'hive' | 'ours';
  /** Who authenticates the client: nobody, Hive's JWT plugin, or this gateway's mode. */
  auth: 'none' | 'jwt' | 'token' | 'session';
  store?: 'sqlite' | 'redis';
  /** More settings for every process of the variant. */
  env?: Record<string, string>;
}

export const VARIANTS: VariantDef[] = [
  { id: 'a', label: '(a) Apollo Gateway', description: 'stock @apollo/gateway (IntrospectAndCompose, default data source), no auth, subgraphs with auth off', kind: 'stock', auth: 'none' },
  { id: 'h', label: '(h) Hive Gateway', description: 'Hive Gateway (@graphql-hive/gateway-runtime), no auth, subgraphs with auth off', kind: 'hive', auth: 'none' },
  { id: 'j', label: '(j) Hive + JWT', description: 'Hive Gateway with its JWT plugin: an ES256 access token verified on every request, claims forwarded to subgraphs; subgraphs with auth off', kind: 'hive', auth: 'jwt' },
  { id: 'n', label: '(n) ours, auth off', description: 'this gateway with authentication switched off (a programmatic strategy), subgraphs with auth off', kind: 'ours', auth: 'none' },
  { id: 't', label: '(t) ours, token', description: 'this gateway, AUTH_MODE=token', kind: 'ours', auth: 'token' },
  {
    id: 'b',
    label: '(b) ours, token + binding',
    description: 'this gateway, AUTH_MODE=token, REQUEST_BINDING=on: a request proof signed for every subgraph fetch, checked (and its id kept) by every subgraph',
    kind: 'ours',
    auth: 'token',
    env: { REQUEST_BINDING: 'on' },
  },
  { id: 's', label: '(s) ours, session/SQLite', description: 'this gateway, AUTH_MODE=session, SESSION_STORE=sqlite:…', kind: 'ours', auth: 'session', store: 'sqlite' },
  { id: 'r', label: '(r) ours, session/Redis', description: 'this gateway, AUTH_MODE=session, SESSION_STORE=redis://…', kind: 'ours', auth: 'session', store: 'redis' },
  {
    id: 'm',
    label: '(m) ours, auth off again',
    description: 'a second copy of (n), measured last in odd rounds and first in even ones: its ratio to (n) is what the method reads between two identical gateways (the noise floor)',
    kind: 'ours',
    auth: 'none',
  },
];

export type QueryId = 'me' | 'deep' | 'pme' | 'heavy' | 'orders' | 'pay';

/** Whether a variant runs the payments service, so the hop queries: this gateway in token or session mode. */
export const callsPayments = (def: VariantDef): boolean => def.kind === 'ours' && (def.auth === 'token' || def.auth === 'session');

export interface QueryDef {
  id: QueryId;
  graph: GraphId;
  /** For headings. */
  label: string;
  /** For the chart and the console. */
  short: string;
  query: string;
  /** The answer's `data` must have this digest (canonical form, scripts/bench/public/index.ts). */
  expected?: { sha256: string; bytes: number };
  /** The extra hop's pair: run only by the variants that call payments (callsPayments), checked against `answer`, not (a). */
  hop?: { answer: string };
}

/** The demo user alice's one order, and its payment (subgraphs/orders/data.ts, downstream/payments/data.ts), in canonical form. */
const ALICE_ORDERS = '{"me":{"id":"u1","orders":[{"id":"o1"}]}}';
const ALICE_PAYMENT = '{"me":{"id":"u1","orders":[{"id":"o1","payment":{"status":"paid","last4":"4242"}}]}}';

/** PAYMENT_QUERY without the payment: what the hop adds is the difference. */
export const ORDERS_QUERY = /* GraphQL */ `{ me { id orders { id } } }`;

export const QUERIES: QueryDef[] = [
  { id: 'me', graph: 'demo', label: '`{ me { id name } }` (demo graph, accounts only)', short: 'demo: me', query: '{ me { id name } }' },
  { id: 'deep', graph: 'demo', label: 'deep query (demo graph, all four subgraphs, entity fetches)', short: 'demo: deep', query: DEEP_QUERY },
  { id: 'pme', graph: 'public', label: '`{ me { id username } }` (public workload, accounts only)', short: 'public: me', query: PUBLIC_ME_QUERY },
  {
    id: 'heavy',
    graph: 'public',
    label: "TestQuery, the Guild's federation benchmark (public workload, ~87.6 KB answer)",
    short: 'public: TestQuery',
    query: TEST_QUERY,
    expected: TEST_QUERY_EXPECTED,
  },
  { id: 'orders', graph: 'demo', label: "alice's orders (demo graph: accounts, orders), the hop's baseline", short: 'demo: orders', query: ORDERS_QUERY, hop: { answer: ALICE_ORDERS } },
  {
    id: 'pay',
    graph: 'demo',
    label: "alice's orders with their payment (demo graph: accounts, orders → payments on the caller's behalf)",
    short: 'demo: payment',
    query: PAYMENT_QUERY,
    hop: { answer: ALICE_PAYMENT },
  },
];

/** Whether a variant runs a query (the hop's pair only where payments runs). */
export const runsQuery = (def: VariantDef, query: QueryDef): boolean => !query.hop || callsPayments(def);

export interface Probe {
  /** Subgraph requests this one request caused, counted by the subgraphs themselves. */
  subgraphFetches: number;
  /** This gateway's own accounting (`extensions.authCost`); undefined for the peers. */
  authCost?: AuthCost;
  /** The answer's data in canonical form (JSON.stringify of the parsed `data`). */
  canonical: string;
  /** The raw response body. */
  body: string;
}

/**
 * The check every response under load gets: the body is `{"data":` and the
 * canonical data, then either the end or this gateway's `extensions`
 * (authCost), never errors, and maybe a newline (Apollo Server ends its
 * bodies with one). A startsWith on ~88 KB: cheap, and exact.
 */
export function bodyCheck(canonical: string): (body: string) => boolean {
  const prefix = `{"data":${canonical}`;
  return (body) => {
    if (!body.startsWith(prefix)) return false;
    const rest = body.slice(prefix.length).trimEnd();
    return rest === '}' || (rest.startsWith(',"extensions":') && rest.endsWith('}') && !rest.includes('"errors"'));
  };
}

export interface RunningVariant {
  def: VariantDef;
  /** http://127.0.0.1:<port> of the gateway serving each graph. */
  urls: Record<GraphId, string>;
  gateways: Record<GraphId, ChildHandle>;
  subgraphs: ChildHandle;
  /** The payments service's process (payments-child.ts), where the variant calls it. */
  payments?: ChildHandle;
  /** Headers that carry the logged-in caller (access token or session cookie), or none. */
  credential: Record<string, string>;
  /** The first request of each graph after login: what a new caller costs (deep and heavy query, and the payment where it runs). */
  coldProbes: { query: QueryId; probe: Probe }[];
  stats(): Promise<SubgraphStats>;
  /** The payments process's CPU and requests, where it runs. */
  paymentsStats(): Promise<PaymentsStats | undefined>;
  gatewayCpuMs(graph: GraphId): Promise<number>;
  /** Waits until the graph's gateway and the subgraphs are idle: requests left over from a load run are done. */
  quiesce(graph: GraphId): Promise<void>;
  probe(query: QueryDef): Promise<Probe>;
  /** Another gateway process of this variant for one graph over the same subgraphs (a replica), e.g. a profiled one. */
  startReplica(graph: GraphId, nodeArgs: string[]): Promise<{ url: string; handle: ChildHandle }>;
  close(): Promise<void>;
}

export interface StartOptions {
  redisUrl: string;
  /** Prefix child output with the variant's label instead of dropping it. */
  verbose?: boolean;
}

const handedOut = new Set<number>();

/**
 * A free port for a gateway, below the kernel's ephemeral range. A gateway's
 * URL is needed before it starts (its issuer and JWKS URL go into every
 * process's config), so its port is chosen first; a port from the ephemeral
 * range could meanwhile be given to any of the dozens of servers the
 * benchmark starts on port 0 (EADDRINUSE). Below that range nothing is
 * handed out by the kernel.
 */
async function gatewayPort(): Promise<number> {
  let low = 32768;
  try {
    low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: the usual default
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = randomInt(Math.max(1024, low - 12_000), low);
    if (handedOut.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, () => server.close(() => resolve(true)));
    });
    if (free) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port for a gateway below the ephemeral range');
}

/** Long enough for any run: the default 15 min would expire mid-run (identity tokens still renew every ~50 s). */
const ACCESS_TOKEN_TTL_SECONDS = 4 * 3600;

export async function startVariant(def: VariantDef, options: StartOptions): Promise<RunningVariant> {
  const dir = tempDir('fag-bench-');
  const ports = { demo: await gatewayPort(), public: await gatewayPort() };
  const urls = { demo: `http://127.0.0.1:${ports.demo}`, public: `http://127.0.0.1:${ports.public}` };
  // Both of a variant's gateways share keys, issuer, session store and secret, like replicas: one login serves both.
  const env: Record<string, string> = {
    AUTH_MODE: def.auth === 'session' ? 'session' : 'token',
    GATEWAY_ISSUER: urls.demo,
    GATEWAY_JWKS_URL: `${urls.demo}/.well-known/jwks.json`,
    SESSION_STORE: def.store === 'redis' ? options.redisUrl : `sqlite:${path.join(dir, 'sessions.db')}`,
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    GATEWAY_KEYS_DIR: path.join(dir, 'keys'),
    // orders has a key of its own (it may call payments), kept with the variant's other keys.
    SUBGRAPH_KEY_FILE: path.join(dir, 'subgraph-key.pem'),
    ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_SECONDS),
    // No background re-introspection and no playground routes in the measured process;
    // no auth trace either (off in production; authCost, which the bench counts with, stays).
    SUBGRAPH_POLL_INTERVAL: '0',
    PLAYGROUND: 'false',
    AUTH_TRACE: 'false',
    ...def.env,
  };
  const label = (part: string) => (options.verbose ? `${def.id}:${part}` : undefined);
  const children: ChildHandle[] = [];
  const close = async () => {
    for (const child of children.reverse()) await child.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    // Payments first: orders is configured with its URL.
    const payments = callsPayments(def) ? spawnChild('payments-child.ts', { label: label('payments') }) : undefined;
    if (payments) children.push(payments);
    const paymentsUrl = payments && (await payments.call<{ url: string }>('start', { env })).url;
    const subgraphs = spawnChild('subgraphs-child.ts', { label: label('subgraphs') });
    children.push(subgraphs);
    const lists = await subgraphs.call<SubgraphLists>('start', {
      spec: { env, noAuth: def.auth === 'none' || def.auth === 'jwt', ...(paymentsUrl ? { paymentsUrl } : {}) } satisfies SubgraphsSpec,
    });
    const listFile = (graph: GraphId) => path.join(dir, `subgraphs-${graph}.json`);
    for (const graph of ['demo', 'public'] as const) fs.writeFileSync(listFile(graph), JSON.stringify(lists[graph], null, 2));

    const jwt = def.auth === 'jwt' ? await hiveJwtSetup(urls.demo, ACCESS_TOKEN_TTL_SECONDS) : undefined;
    const specFor = (graph: GraphId, port: number): GatewaySpec => {
      if (def.kind === 'stock') return { kind: 'stock', port, subgraphs: lists[graph] };
      if (def.kind === 'hive') return { kind: 'hive', port, subgraphs: lists[graph], ...(jwt ? { jwt: { issuer: jwt.issuer, publicKeyPem: jwt.publicKeyPem } } : {}) };
      return { kind: 'ours', env: { ...env, PORT: String(port), SUBGRAPHS_FILE: listFile(graph) }, authOff: def.auth === 'none' };
    };
    const startGatewayChild = async (graph: GraphId, port: number, nodeArgs: string[] = []) => {
      const handle = spawnChild('gateway-child.ts', { nodeArgs, label: label(`gateway:${graph}:${port}`) });
      children.push(handle);
      await handle.call('start', { spec: specFor(graph, port) }, 120_000);
      return handle;
    };
    // One after the other: the first one creates the signing keys both use.
    const gateways = { demo: await startGatewayChild('demo', ports.demo), public: await startGatewayChild('public', ports.public) };
    const credential = jwt ? { authorization: `Bearer ${jwt.token}` } : await logIn(def, urls.demo);

    const stats = () => subgraphs.call<SubgraphStats>('stats');
    // Requests still in flight when a load run stops go on for a while: wait until the subgraphs are quiet.
    const settle = async () => {
      let last = (await stats()).requests;
      for (let i = 0; i < 150; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const now = (await stats()).requests;
        if (now === last) return;
        last = now;
      }
    };
    const probe = async (query: QueryDef, url = urls[query.graph]): Promise<Probe> => {
      await settle();
      const before = await stats();
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...credential },
        body: JSON.stringify({ query: query.query }),
      });
      const body = await response.text();
      const after = await stats();
      let parsed: { data?: unknown; errors?: unknown[]; extensions?: { authCost?: AuthCost } } = {};
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        // reported below
      }
      if (response.status !== 200 || parsed.errors || parsed.data === undefined) {
        throw new Error(`${def.label}: ${query.id} answered ${response.status} ${body.slice(0, 300)}`);
      }
      return { subgraphFetches: after.requests - before.requests, authCost: parsed.extensions?.authCost, canonical: canonicalData(parsed.data), body };
    };
    const quiesce = async (graph: GraphId) => {
      const cpu = () => gateways[graph].call<number>('cpu');
      let [requests, used] = [(await stats()).requests, await cpu()];
      for (let i = 0; i < 300; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const [nowRequests, nowUsed] = [(await stats()).requests, await cpu()];
        // Idle: no subgraph request and under 5 ms of gateway CPU in 100 ms (timers, GC, the IPC itself).
        if (nowRequests === requests && nowUsed - used < 5) return;
        [requests, used] = [nowRequests, nowUsed];
      }
    };
    const byId = (id: QueryId) => QUERIES.find((q) => q.id === id)!;
    const coldProbes: RunningVariant['coldProbes'] = [];
    for (const id of ['deep', 'heavy', 'pay'] as const) if (runsQuery(def, byId(id))) coldProbes.push({ query: id, probe: await probe(byId(id)) });

    return {
      def,
      urls,
      gateways,
      subgraphs,
      ...(payments ? { payments } : {}),
      credential,
      coldProbes,
      stats,
      paymentsStats: async () => payments?.call<PaymentsStats>('stats'),
      gatewayCpuMs: (graph) => gateways[graph].call<number>('cpu'),
      quiesce,
      probe: (query) => probe(query),
      async startReplica(graph, nodeArgs) {
        const port = await gatewayPort();
        const handle = await startGatewayChild(graph, port, nodeArgs);
        return { url: `http://127.0.0.1:${port}`, handle };
      },
      async close() {
        await logOut(credential, urls.demo).catch(() => {});
        await close();
      },
    };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}

/**
 * The answers every variant must give, fixed before anything is measured:
 * (a)'s canonical data for each query (the heavy one checked against the
 * Guild's digest), and every other variant's identical to it. Throws on the
 * first difference: numbers of a gateway that answers wrongly do not count.
 */
export async function referenceAnswers(running: RunningVariant[]): Promise<Map<QueryId, { canonical: string; sha256: string; bytes: number }>> {
  const baseline = running.find((v) => v.def.id === 'a')!;
  const answers = new Map<QueryId, { canonical: string; sha256: string; bytes: number }>();
  for (const query of QUERIES) {
    if (query.hop) {
      const answer = await hopAnswers(running, query);
      if (answer) answers.set(query.id, answer);
      continue;
    }
    const reference = await baseline.probe(query);
    const digest = sha256(reference.canonical);
    if (query.expected && !isExpectedTestQueryAnswer(reference.canonical)) {
      throw new Error(
        `${baseline.def.label} answered ${query.id} with ${Buffer.byteLength(reference.canonical)} bytes, SHA-256 ${digest}; expected ${query.expected.bytes} bytes, ${query.expected.sha256}`,
      );
    }
    for (const variant of running) {
      const probe = variant === baseline ? reference : await variant.probe(query);
      if (probe.canonical !== reference.canonical) {
        throw new Error(`${variant.def.label} answered ${query.id} differently from ${baseline.def.label} (SHA-256 ${sha256(probe.canonical)}, not ${digest})`);
      }
      if (!bodyCheck(reference.canonical)(probe.body)) {
        throw new Error(`${variant.def.label}: the body of its ${query.id} answer is not {"data":…} as the check under load expects: ${probe.body.slice(0, 120)}…`);
      }
    }
    answers.set(query.id, { canonical: reference.canonical, sha256: digest, bytes: Buffer.byteLength(reference.canonical) });
  }
  return answers;
}

/** A hop query's answer: the demo data's, from every variant that runs it (none: the query is left out). */
async function hopAnswers(running: RunningVariant[], query: QueryDef): Promise<{ canonical: string; sha256: string; bytes: number } | undefined> {
  const answer = query.hop!.answer;
  const runners = running.filter((variant) => runsQuery(variant.def, query));
  for (const variant of runners) {
    const probe = await variant.probe(query);
    if (probe.canonical !== answer) throw new Error(`${variant.def.label} answered ${query.id} with ${probe.canonical}, not ${answer}`);
    if (!bodyCheck(answer)(probe.body)) throw new Error(`${variant.def.label}: the body of its ${query.id} answer is not {"data":…}: ${probe.body.slice(0, 120)}…`);
  }
  return runners.length > 0 ? { canonical: answer, sha256: sha256(answer), bytes: Buffer.byteLength(answer) } : undefined;
}

/** Logs the demo user alice in: an access token (token mode) or a session cookie (session mode); nothing for the others. */
async function logIn(def: VariantDef, gatewayUrl: string): Promise<Record<string, string>> {
  if (def.auth !== 'token' && def.auth !== 'session') return {};
  const response = await fetch(`${gatewayUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (response.status !== 200) throw new Error(`${def.label}: login answered ${response.status}`);
  if (def.auth === 'token') return { authorization: `Bearer ${body.access_token}` };
  const cookie = response.headers.getSetCookie()[0]?.split(';')[0];
  if (!cookie) throw new Error(`${def.label}: login set no session cookie`);
  return { cookie };
}

/** Session variants destroy their session (it may live in the machine's shared Redis). */
async function logOut(credential: Record<string, string>, gatewayUrl: string): Promise<void> {
  if (!credential.cookie) return;
  await fetch(`${gatewayUrl}/auth/logout`, { method: 'POST', headers: credential, signal: AbortSignal.timeout(5000) });
}
