/**
 * One benchmark variant, up and running: its subgraphs process, its gateway
 * process, and the credential a client presents to it. The four variants
 * differ only in how the caller's identity reaches the subgraphs.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DEEP_QUERY } from '../../subgraphs/demo.js';
import { freePort, tempDir } from '../lib/local.js';
import type { AuthCost } from '../../shared/observability/auth-cost.js';
import { spawnChild, type ChildHandle } from './child.js';
import type { GatewaySpec } from './gateway-child.js';
import type { SubgraphsSpec, SubgraphStats } from './subgraphs-child.js';

export type VariantId = 'a' | 'b' | 'c' | 'd';

export interface VariantDef {
  id: VariantId;
  /** Short label for tables and the chart. */
  label: string;
  description: string;
  kind: 'stock' | 'ours';
  mode?: 'token' | 'session';
  store?: 'sqlite' | 'redis';
}

export const VARIANTS: VariantDef[] = [
  { id: 'a', label: '(a) no auth', description: 'stock @apollo/gateway, no identity propagation, subgraphs with auth off', kind: 'stock' },
  { id: 'b', label: '(b) token', description: 'this gateway, AUTH_MODE=token', kind: 'ours', mode: 'token' },
  { id: 'c', label: '(c) session/SQLite', description: 'this gateway, AUTH_MODE=session, SESSION_STORE=sqlite:…', kind: 'ours', mode: 'session', store: 'sqlite' },
  { id: 'd', label: '(d) session/Redis', description: 'this gateway, AUTH_MODE=session, SESSION_STORE=redis://…', kind: 'ours', mode: 'session', store: 'redis' },
];

export interface QueryDef {
  id: 'me' | 'deep';
  label: string;
  query: string;
  /** A cheap check run on every response under load: the caller's data came back, without errors. */
  verifyBody(body: string): boolean;
}

const answeredForAlice = (body: string) => body.startsWith('{"data":{"me":{"id":"u1"') && !body.includes('"errors"');

export const QUERIES: QueryDef[] = [
  { id: 'me', label: '`{ me { id name } }` (accounts only)', query: '{ me { id name } }', verifyBody: answeredForAlice },
  { id: 'deep', label: 'deep query (all four subgraphs, entity fetches)', query: DEEP_QUERY, verifyBody: answeredForAlice },
];

export interface Probe {
  /** Subgraph requests this one request caused, counted by the subgraphs themselves. */
  subgraphFetches: number;
  /** The gateway's own accounting (`extensions.authCost`); undefined for the stock gateway. */
  authCost?: AuthCost;
  data: unknown;
}

export interface RunningVariant {
  def: VariantDef;
  gatewayUrl: string;
  gateway: ChildHandle;
  subgraphs: ChildHandle;
  /** Headers that carry the logged-in caller (access token or session cookie). */
  credential: Record<string, string>;
  /** The first deep query after login: what a cold caller costs. */
  coldProbe: Probe;
  stats(): Promise<SubgraphStats>;
  gatewayCpuMs(): Promise<number>;
  probe(query: string): Promise<Probe>;
  /** Another gateway process of this variant over the same subgraphs (a replica), e.g. a profiled one. */
  startReplica(nodeArgs: string[]): Promise<{ url: string; handle: ChildHandle }>;
  close(): Promise<void>;
}

export interface StartOptions {
  redisUrl: string;
  /** Prefix child output with the variant's label instead of dropping it. */
  verbose?: boolean;
}

export async function startVariant(def: VariantDef, options: StartOptions): Promise<RunningVariant> {
  const dir = tempDir('fag-bench-');
  const gatewayPort = await freePort();
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const env: Record<string, string> = {
    AUTH_MODE: def.mode ?? 'token',
    GATEWAY_ISSUER: gatewayUrl,
    GATEWAY_JWKS_URL: `${gatewayUrl}/.well-known/jwks.json`,
    SESSION_STORE: def.store === 'redis' ? options.redisUrl : `sqlite:${path.join(dir, 'sessions.db')}`,
    // Shared by replicas, so a profiled replica accepts the same cookie.
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    GATEWAY_KEYS_DIR: path.join(dir, 'keys'),
    SUBGRAPHS_FILE: path.join(dir, 'subgraphs.json'),
    // No background re-introspection and no playground routes in the measured process.
    SUBGRAPH_POLL_INTERVAL: '0',
    PLAYGROUND: 'false',
  };
  const label = (part: string) => (options.verbose ? `${def.id}:${part}` : undefined);
  const children: ChildHandle[] = [];
  const close = async () => {
    for (const child of children.reverse()) await child.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    const subgraphs = spawnChild('subgraphs-child.ts', { label: label('subgraphs') });
    children.push(subgraphs);
    const list = await subgraphs.call<{ name: string; url: string }[]>('start', {
      spec: { env, noAuth: def.kind === 'stock' } satisfies SubgraphsSpec,
    });
    fs.writeFileSync(env.SUBGRAPHS_FILE, JSON.stringify(list, null, 2));

    const specFor = (port: number): GatewaySpec =>
      def.kind === 'stock' ? { kind: 'stock', port, subgraphs: list } : { kind: 'ours', env: { ...env, PORT: String(port) } };
    const startGatewayChild = async (port: number, nodeArgs: string[] = []) => {
      const handle = spawnChild('gateway-child.ts', { nodeArgs, label: label(`gateway:${port}`) });
      children.push(handle);
      await handle.call('start', { spec: specFor(port) });
      return handle;
    };
    const gateway = await startGatewayChild(gatewayPort);
    const credential = await logIn(def, gatewayUrl);

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
    const probe = async (query: string, url = gatewayUrl): Promise<Probe> => {
      await settle();
      const before = await stats();
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...credential },
        body: JSON.stringify({ query }),
      });
      const body = (await response.json()) as { data?: unknown; errors?: unknown[]; extensions?: { authCost?: AuthCost } };
      const after = await stats();
      if (response.status !== 200 || body.errors) {
        throw new Error(`${def.label}: probe answered ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
      }
      return { subgraphFetches: after.requests - before.requests, authCost: body.extensions?.authCost, data: body.data };
    };
    const coldProbe = await probe(DEEP_QUERY);

    return {
      def,
      gatewayUrl,
      gateway,
      subgraphs,
      credential,
      coldProbe,
      stats,
      gatewayCpuMs: () => gateway.call<number>('cpu'),
      probe: (query) => probe(query),
      async startReplica(nodeArgs) {
        const port = await freePort();
        const handle = await startGatewayChild(port, nodeArgs);
        return { url: `http://127.0.0.1:${port}`, handle };
      },
      async close() {
        await logOut(credential, gatewayUrl).catch(() => {});
        await close();
      },
    };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}

/** Logs the demo user alice in: an access token (token mode) or a session cookie (session mode). */
async function logIn(def: VariantDef, gatewayUrl: string): Promise<Record<string, string>> {
  if (def.kind === 'stock') return {};
  const response = await fetch(`${gatewayUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (response.status !== 200) throw new Error(`${def.label}: login answered ${response.status}`);
  if (def.mode === 'token') return { authorization: `Bearer ${body.access_token}` };
  const cookie = response.headers.getSetCookie()[0]?.split(';')[0];
  if (!cookie) throw new Error(`${def.label}: login set no session cookie`);
  return { cookie };
}

/** Session variants destroy their session (it may live in the machine's shared Redis). */
async function logOut(credential: Record<string, string>, gatewayUrl: string): Promise<void> {
  if (!credential.cookie) return;
  await fetch(`${gatewayUrl}/auth/logout`, { method: 'POST', headers: credential, signal: AbortSignal.timeout(5000) });
}
