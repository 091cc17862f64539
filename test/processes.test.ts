/**
 * The real processes: `npm start`'s launcher runs the gateway, the four
 * subgraphs and the payments service as separate processes, and a bad
 * setting stops a process at start with one line naming the variable.
 * `npm run check:subgraph` against the running demo prints its table.
 */
import { execFile, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { launchStack, SUBGRAPH_NAMES, TSX } from './helpers/stack.js';
import { PAYMENT_QUERY } from '../subgraphs/demo.js';
import { tempDir } from '../scripts/lib/local.js';
import { Client } from './helpers/http.js';
import { eventually } from './helpers/eventually.js';

const root = path.resolve(import.meta.dirname, '..');
const tsx = TSX;

describe('config errors', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['gateway/main.ts', { AUTH_MODE: 'magic' }, 'AUTH_MODE'],
    ['gateway/main.ts', { IDENTITY_TOKEN_TTL: 'soon' }, 'IDENTITY_TOKEN_TTL'],
    ['gateway/main.ts', { SESSION_STORE: 'mysql://localhost' }, 'SESSION_STORE'],
    ['gateway/main.ts', { AUTH_MODE: 'session', NODE_ENV: 'production', SESSION_SECRET: '' }, 'SESSION_SECRET'],
    ['subgraphs/accounts/main.ts', { GATEWAY_JWKS_URL: 'not a url' }, 'GATEWAY_JWKS_URL'],
    ['subgraphs/orders/main.ts', { PORT: '70000' }, 'PORT'],
    ['subgraphs/orders/main.ts', { PAYMENTS_URL: 'payments:4010' }, 'PAYMENTS_URL'],
    ['downstream/payments/main.ts', { ALLOWED_ACTORS: 'orders,Reviews' }, 'ALLOWED_ACTORS'],
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
    let result;
    try {
      result = spawnSync(process.execPath, [...tsx, 'gateway/main.ts'], {
        cwd: root,
        env: { ...process.env, GATEWAY_KEYS_DIR: file, PORT: '0' },
        encoding: 'utf8',
        timeout: 20_000,
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
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

  const answers = (port: number) => fetch(`http://127.0.0.1:${port}/healthz`).then(() => true, () => false);

  it('runs six processes, answers the three-level query, and stops them all on Ctrl-C', async () => {
    const launched = await launchStack(mode);
    launcher = launched.launcher;
    for (const name of ['gateway', ...SUBGRAPH_NAMES, 'payments']) expect(launched.output()).toMatch(new RegExp(`\\[${name}\\s*\\] `));

    const alice = new Client(launched.gatewayUrl);
    expect((await alice.login('alice', 'wonderland')).status).toBe(200);
    const result = await alice.query(PAYMENT_QUERY);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data?.me).toEqual({ id: 'u1', orders: [{ id: 'o1', payment: { status: 'paid', last4: '4242' } }] });

    // One mode, one subgraph: what is tested is the command line against the running demo (its checks have their own suite).
    if (mode === 'token') {
      const checked = await checkSubgraphCommand(['--url', `http://127.0.0.1:${launched.ports[1]}/graphql`, '--name', 'accounts'], {
        AUTH_MODE: 'token',
        GATEWAY_KEYS_DIR: path.join(launched.dir, 'keys'),
        GATEWAY_ISSUER: `http://localhost:${launched.ports[0]}`,
      });
      expect(checked.code, checked.output).toBe(0);
      expect(checked.output).toMatch(/^check-subgraph: "accounts" at .+, token mode/m);
      expect(checked.output).toMatch(/^ {2}PASS {2}no token +expected 401 +seen 401 TOKEN_MISSING$/m);
      expect(checked.output).toMatch(/^\d+ passed, 0 failed$/m);
    }

    const exited = new Promise<number | null>((resolve) => launcher!.once('exit', (code) => resolve(code)));
    launcher!.kill('SIGINT');
    expect(await exited).toBe(0);
    // Every port is free again: no process was left behind.
    for (const port of launched.ports) expect(await answers(port), String(port)).toBe(false);
    launched.cleanup();
  }, 90_000);

  // One mode is enough: what is tested is the launcher's lifeline, not the auth mode.
  if (mode === 'token') {
    it('leaves no server behind when the launcher itself is killed outright', async () => {
      const launched = await launchStack(mode);
      launcher = launched.launcher;
      const ports = launched.ports;
      launcher.kill('SIGKILL');
      // Each child sees its IPC channel to the launcher close and stops.
      let left = ports;
      for (let i = 0; i < 150 && left.length > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        left = (await Promise.all(ports.map(async (port) => ((await answers(port)) ? [port] : [])))).flat();
      }
      expect(left).toEqual([]);
      launched.cleanup();
    }, 80_000);

    it('stops every process when `npm start` alone gets SIGTERM (timeout, systemd, docker stop)', async () => {
      const launched = await launchStack(mode, {}, { viaNpm: true });
      launcher = launched.launcher;
      const exited = new Promise((resolve) => launcher!.once('exit', resolve));
      // To npm only, not its process group: npm's shell does not pass it on, the launcher sees its parent gone.
      launcher.kill('SIGTERM');
      await exited;
      await eventually(async () => {
        for (const port of launched.ports) expect(await answers(port), String(port)).toBe(false);
      }, { timeoutMs: 30_000 });
      launched.cleanup();
    }, 150_000);
  }
});

/** `npm run check:subgraph -- <args>` as an operator runs it: the script itself, with tsx (npm's own lines left out). Never throws. */
function checkSubgraphCommand(args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...tsx, 'scripts/check-subgraph.ts', ...args], { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: stdout + stderr });
    });
  });
}
