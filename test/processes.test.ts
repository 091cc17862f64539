/**
 * The real processes: `npm start`'s launcher runs the gateway and the four
 * subgraphs as separate processes, and a bad setting stops a process at start
 * with one line naming the variable.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEEP_QUERY, freePort, tempDir, Client } from './helpers/stack.js';

const root = path.resolve(import.meta.dirname, '..');
const tsx = ['--import', 'tsx'];
const SUBGRAPH_NAMES = ['accounts', 'products', 'reviews', 'orders'];

describe('config errors', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['gateway/main.ts', { AUTH_MODE: 'magic' }, 'AUTH_MODE'],
    ['gateway/main.ts', { IDENTITY_TOKEN_TTL: 'soon' }, 'IDENTITY_TOKEN_TTL'],
    ['gateway/main.ts', { SESSION_STORE: 'mysql://localhost' }, 'SESSION_STORE'],
    ['gateway/main.ts', { AUTH_MODE: 'session', NODE_ENV: 'production', SESSION_SECRET: '' }, 'SESSION_SECRET'],
    ['subgraphs/accounts/main.ts', { GATEWAY_JWKS_URL: 'not a url' }, 'GATEWAY_JWKS_URL'],
    ['subgraphs/orders/main.ts', { PORT: '70000' }, 'PORT'],
  ];
  it.each(cases)('%s with %j stops with one line naming %s', (entry, env, variable) => {
    const result = spawnSync(process.execPath, [...tsx, entry], {
      cwd: root,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^configuration error: ${variable} must be `));
  });

  it('refuses an unwritable key folder at start', () => {
    const dir = tempDir();
    const file = path.join(dir, 'not-a-folder');
    fs.writeFileSync(file, '');
    const result = spawnSync(process.execPath, [...tsx, 'gateway/main.ts'], {
      cwd: root,
      env: { ...process.env, GATEWAY_KEYS_DIR: file, PORT: '0' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^configuration error: GATEWAY_KEYS_DIR must be /);
  });
});

describe.each(['token', 'session'] as const)('npm start launcher, %s mode', (mode) => {
  let launcher: ChildProcess | undefined;
  afterEach(() => {
    launcher?.kill('SIGKILL');
  });

  /** Starts `npm start`'s launcher on free ports and waits until the gateway is ready. */
  async function launch() {
    const dir = tempDir();
    const gatewayPort = await freePort();
    const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
    fs.writeFileSync(
      path.join(dir, 'subgraphs.json'),
      JSON.stringify(SUBGRAPH_NAMES.map((name, i) => ({ name, url: `http://localhost:${ports[i]}/graphql` }))),
    );
    launcher = spawn(process.execPath, [...tsx, 'scripts/start.ts'], {
      cwd: root,
      env: {
        ...process.env,
        AUTH_MODE: mode,
        PORT: String(gatewayPort),
        SUBGRAPHS_FILE: path.join(dir, 'subgraphs.json'),
        GATEWAY_KEYS_DIR: path.join(dir, 'keys'),
        SESSION_STORE: `sqlite:${path.join(dir, 'sessions.db')}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    launcher.stdout!.on('data', (chunk) => (output += chunk));
    launcher.stderr!.on('data', (chunk) => (output += chunk));

    const gateway = `http://127.0.0.1:${gatewayPort}`;
    let ready = false;
    for (let i = 0; i < 300 && !ready; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      ready = await fetch(`${gateway}/readyz`).then((r) => r.status === 200, () => false);
    }
    expect(ready, output).toBe(true);
    return { dir, gateway, ports: [gatewayPort, ...ports], output: () => output };
  }

  const answers = (port: number) => fetch(`http://127.0.0.1:${port}/healthz`).then(() => true, () => false);

  it('runs five processes, answers the deep query, and stops them all on Ctrl-C', async () => {
    const { dir, gateway, ports, output } = await launch();
    for (const name of ['gateway', ...SUBGRAPH_NAMES]) expect(output()).toMatch(new RegExp(`\\[${name}\\s*\\] `));

    const alice = new Client(gateway);
    expect((await alice.login('alice', 'wonderland')).status).toBe(200);
    const result = await alice.query(DEEP_QUERY);
    expect(result.body.data?.me).toMatchObject({ id: 'u1', orders: [{ id: 'o1' }] });

    const exited = new Promise<number | null>((resolve) => launcher!.once('exit', (code) => resolve(code)));
    launcher!.kill('SIGINT');
    expect(await exited).toBe(0);
    // Every port is free again: no process was left behind.
    for (const port of ports) expect(await answers(port), String(port)).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  // One mode is enough: what is tested is the launcher's lifeline, not the auth mode.
  if (mode === 'token') {
    it('leaves no server behind when the launcher itself is killed outright', async () => {
      const { dir, ports } = await launch();
      launcher!.kill('SIGKILL');
      // Each child sees its IPC channel to the launcher close and stops.
      let left = ports;
      for (let i = 0; i < 150 && left.length > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        left = (await Promise.all(ports.map(async (port) => ((await answers(port)) ? [port] : [])))).flat();
      }
      expect(left).toEqual([]);
      fs.rmSync(dir, { recursive: true, force: true });
    }, 60_000);
  }
});
