/**
 * A process that is told to stop (SIGTERM) drains: /readyz turns 503, requests
 * in flight are answered, the listener closes, and the process exits 0 — the
 * gateway as a real process (gateway/main.ts), in front of a subgraph that
 * answers slowly, and a subgraph as a real process too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, tempDir } from '../scripts/lib/local.js';
import { loadSubgraphConfig } from '../shared/config/subgraph.js';
import { silentLogger } from '../shared/observability/logger.js';
import { startSubgraph, type RunningSubgraph, type SubgraphDefinition } from '../shared/subgraph-server.js';
import { eventually } from './helpers/eventually.js';
import { postJson, send, type Answer } from './helpers/http.js';
import { ROOT, TSX } from './helpers/stack.js';

/** A subgraph whose one field answers after `slowMs`. */
const slowSubgraph = (slowMs: number): SubgraphDefinition => ({
  name: 'slow',
  defaultPort: 0,
  typeDefs: parse(/* GraphQL */ `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
    type Query { slow: String }
  `),
  resolvers: { Query: { slow: () => new Promise((resolve) => setTimeout(() => resolve('done'), slowMs)) } },
});

interface Started {
  child: ChildProcess;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startProcess(entry: string, env: Record<string, string>): Started {
  const child = spawn(process.execPath, [...TSX, entry], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => output, exit };
}

describe('graceful drain on SIGTERM', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** The gateway as a process, over the slow subgraph (in this process), ready to serve. */
  async function gatewayOverSlowSubgraph(slowMs: number, env: Record<string, string> = {}) {
    const dir = tempDir();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const shared = { AUTH_MODE: 'token', GATEWAY_ISSUER: url, GATEWAY_JWKS_URL: `${url}/.well-known/jwks.json`, SESSION_STORE: `sqlite:${path.join(dir, 'sessions.db')}` };
    const subgraph: RunningSubgraph = await startSubgraph(slowSubgraph(slowMs), loadSubgraphConfig('slow', 0, { ...shared, PORT: '0' }), { logger: silentLogger });
    fs.writeFileSync(path.join(dir, 'subgraphs.json'), JSON.stringify([{ name: 'slow', url: `${subgraph.url}/graphql` }]));
    const gateway = startProcess('gateway/main.ts', {
      ...shared,
      PORT: String(port),
      GATEWAY_KEYS_DIR: path.join(dir, 'keys'),
      SUBGRAPHS_FILE: path.join(dir, 'subgraphs.json'),
      ...env,
    });
    cleanups.push(async () => {
      gateway.child.kill('SIGKILL');
      await subgraph.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    return { url, gateway, subgraph };
  }

  it('the gateway answers every request in flight, says 503 on /readyz meanwhile, and exits 0', async () => {
    const { url, gateway } = await gatewayOverSlowSubgraph(1500, { DRAIN_DELAY: '1' });
    await eventually(async () => expect((await send(`${url}/readyz`)).status).toBe(200), { timeoutMs: 30_000 });

    const inFlight = Array.from({ length: 6 }, () => postJson(`${url}/graphql`, { query: '{ slow }' }).catch((error: Error) => error));
    // Let the six reach the subgraph before the signal.
    await new Promise((resolve) => setTimeout(resolve, 300));
    gateway.child.kill('SIGTERM');
    const readyz = await eventually(async () => {
      const answer = await send(`${url}/readyz`);
      expect(answer.status).toBe(503);
      return answer;
    });
    expect(readyz.body.status).toBe('draining');

    const answers = await Promise.all(inFlight);
    for (const answer of answers) {
      expect(answer, String(answer)).not.toBeInstanceOf(Error);
      expect((answer as Answer).status).toBe(200);
      expect((answer as Answer).body.data).toEqual({ slow: 'done' });
    }
    expect(await gateway.exit, gateway.output()).toEqual({ code: 0, signal: null });
    expect(gateway.output()).not.toMatch(/fatal/);
    // The listener is closed: nothing answers on the port any more.
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('DRAIN_TIMEOUT bounds the wait: a request still in flight then is cut, and the gateway exits 0', async () => {
    const { url, gateway } = await gatewayOverSlowSubgraph(20_000, { DRAIN_DELAY: '0', DRAIN_TIMEOUT: '1' });
    await eventually(async () => expect((await send(`${url}/readyz`)).status).toBe(200), { timeoutMs: 30_000 });
    const stuck = postJson(`${url}/graphql`, { query: '{ slow }' }).catch((error: Error) => error);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const signalled = Date.now();
    gateway.child.kill('SIGTERM');
    expect(await gateway.exit, gateway.output()).toEqual({ code: 0, signal: null });
    // Far sooner than the subgraph's 20 s: the timeout (1 s) and the process's own release, on a loaded machine.
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expect(await stuck).toBeInstanceOf(Error);
  });

  it('a gateway stopped before its first supergraph composed exits 0, without a stack trace', async () => {
    const dir = tempDir();
    const port = await freePort();
    const nobody = await freePort();
    fs.writeFileSync(path.join(dir, 'subgraphs.json'), JSON.stringify([{ name: 'gone', url: `http://127.0.0.1:${nobody}/graphql` }]));
    const gateway = startProcess('gateway/main.ts', {
      PORT: String(port),
      GATEWAY_KEYS_DIR: path.join(dir, 'keys'),
      SUBGRAPHS_FILE: path.join(dir, 'subgraphs.json'),
      SESSION_STORE: `sqlite:${path.join(dir, 'sessions.db')}`,
    });
    cleanups.push(() => {
      gateway.child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    });
    await eventually(async () => expect((await send(`http://127.0.0.1:${port}/readyz`)).status).toBe(503), { timeoutMs: 30_000 });
    gateway.child.kill('SIGTERM');
    expect(await gateway.exit, gateway.output()).toEqual({ code: 0, signal: null });
    expect(gateway.output()).not.toMatch(/fatal|Error:/);
  });

  it('a subgraph process drains too: its request in flight is answered and it exits 0', async () => {
    const port = await freePort();
    const dir = tempDir();
    const subgraph = startProcess('subgraphs/accounts/main.ts', {
      AUTH_MODE: 'session',
      PORT: String(port),
      SESSION_STORE: `sqlite:${path.join(dir, 'sessions.db')}`,
      DRAIN_DELAY: '1',
    });
    cleanups.push(() => {
      subgraph.child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const url = `http://127.0.0.1:${port}`;
    await eventually(async () => expect((await send(`${url}/readyz`)).status).toBe(200), { timeoutMs: 30_000 });
    subgraph.child.kill('SIGTERM');
    await eventually(async () => expect((await send(`${url}/readyz`)).body.status).toBe('draining'));
    // Still serving during the delay, each answer closing its connection.
    const during = await postJson(`${url}/graphql`, { query: '{ _service { sdl } }' });
    expect(during.status).toBe(200);
    expect(during.headers.get('connection')).toBe('close');
    expect(await subgraph.exit, subgraph.output()).toEqual({ code: 0, signal: null });
  });
});
