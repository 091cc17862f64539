/**
 * Logs of the real processes, as `npm start` runs them: every line a child
 * writes is one JSON object; a query through the gateway is found in the
 * gateway's and every subgraph's output by one request id and one trace id;
 * and nothing any process wrote holds a credential the run used. Also the
 * settings: a bad LOG_LEVEL stops a process with one line, LOG_FORMAT=pretty
 * is not JSON.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from './helpers/eventually.js';
import { launchStack, SUBGRAPH_NAMES } from './helpers/stack.js';
import { DEEP_QUERY } from '../subgraphs/demo.js';
import { freePort } from '../scripts/lib/local.js';
import { Client } from './helpers/http.js';

const root = path.resolve(import.meta.dirname, '..');
const tsx = ['--import', 'tsx'];
const NAMES = SUBGRAPH_NAMES;

/** `[name    ] {json}` lines of the launcher's output, parsed; the launcher's own `[start]` lines are skipped. */
function childLines(output: string): { process: string; line: Record<string, any> }[] {
  return output
    .split('\n')
    .filter((text) => text.startsWith('[') && !text.startsWith('[start]'))
    .map((text) => {
      const match = /^\[(\S+)\s*\] (.*)$/.exec(text);
      if (!match) throw new Error(`not a prefixed line: ${text}`);
      try {
        return { process: match[1], line: JSON.parse(match[2]) as Record<string, any> };
      } catch {
        throw new Error(`a process wrote a line that is not JSON: ${text}`);
      }
    });
}

describe.each(['token', 'session'] as const)('process logs under npm start, %s mode', (mode) => {
  let launcher: ChildProcess | undefined;
  afterEach(() => {
    launcher?.kill('SIGKILL');
  });

  it('share one request id and trace id across the gateway and the subgraphs, as JSON lines with no secret in them', async () => {
    const launched = await launchStack(mode, { LOG_LEVEL: 'debug', LOG_FORMAT: '' });
    launcher = launched.launcher;
    const gateway = launched.gatewayUrl;
    const output = launched.output;

    const alice = new Client(gateway);
    expect((await alice.login('alice', 'wonderland')).status).toBe(200);
    expect((await new Client(gateway).login('alice', 'not-her-password')).status).toBe(401);
    const reqId = `proc-${randomBytes(6).toString('hex')}`;
    const traceId = randomBytes(16).toString('hex');
    const result = await alice.query(DEEP_QUERY, { headers: { 'x-request-id': reqId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } });
    expect(result.body.data?.me?.id).toBe('u1');

    const lines = await eventually(() => {
      const found = childLines(output()).filter(({ line }) => line.reqId === reqId);
      expect(new Set(found.map(({ process }) => process))).toEqual(new Set(['gateway', ...NAMES]));
      return found;
    });
    for (const { process, line } of lines) expect(line).toMatchObject({ service: process, traceId });

    const exited = new Promise<number | null>((resolve) => launcher!.once('exit', (code) => resolve(code)));
    launcher.kill('SIGINT');
    expect(await exited).toBe(0);

    // Every line of every process, debug included: JSON, and no credential of this run in it.
    expect(childLines(output()).length).toBeGreaterThan(10);
    const secrets = ['wonderland', 'not-her-password', alice.token, alice.cookie?.slice(alice.cookie.indexOf('=') + 1)].filter(
      (secret): secret is string => Boolean(secret),
    );
    if (mode === 'session') {
      const signed = decodeURIComponent(secrets.at(-1)!);
      secrets.push(signed.slice(2, signed.lastIndexOf('.')));
    }
    expect(secrets.length).toBe(mode === 'token' ? 3 : 4);
    for (const secret of secrets) expect(output().includes(secret), `the output holds a secret (${secret.slice(0, 4)}…)`).toBe(false);
    launched.cleanup();
  }, 60_000);
});

describe('logging settings', () => {
  it('stops a process with one line naming LOG_LEVEL when it is not a level', () => {
    const result = spawnSync(process.execPath, [...tsx, 'subgraphs/accounts/main.ts'], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'loud' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^configuration error: LOG_LEVEL must be /);
  });

  it('writes pretty lines, not JSON, with LOG_FORMAT=pretty', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [...tsx, 'subgraphs/accounts/main.ts'], {
      cwd: root,
      env: { ...process.env, PORT: String(port), LOG_FORMAT: 'pretty', NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    try {
      await eventually(() => expect(output).toMatch(/INFO/));
      const first = output.split('\n')[0];
      expect(() => JSON.parse(first)).toThrow();
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
