/**
 * The subgraph kit as another team gets it, with real parts: `npm pack` the
 * kit, install the tarball into an empty folder outside this repository
 * (from the npm cache `npm ci` filled), and run there, as processes, a
 * graphql-yoga subgraph and a plain Apollo Server subgraph built on it
 * (test/fixtures/subgraph-kit/). A gateway composes them with the demo
 * subgraphs; alice's query reaches them with her identity, in token mode
 * and in session mode (on Redis: the folder outside needs no native build).
 * `npm run check:subgraph` passes on both and on every demo subgraph, and
 * fails three deliberately non-conforming subgraphs on exactly the lines it
 * should: one that takes any bearer token at its word, one that trusts
 * X-User-Id instead of a token, and one that trusts it only next to an
 * anonymous caller's good token (the last two checked against the checker's
 * own throwaway JWKS).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStoreValue } from '@fedgw/subgraph-kit';
import { mintIdentityToken } from '@fedgw/subgraph-kit/token';
import { loadSigningKeys } from '../gateway/auth/signing-keys.js';
import { checkSubgraph, formatReport, gatewaySigner, type CheckReport } from '../scripts/check-subgraph.js';
import { freePort, tempDir } from '../scripts/lib/local.js';
import { postJson } from './helpers/http.js';
import { IN_CI, REDIS_URL, redisAvailable, SESSION_REDIS, TOKEN, type ModeVariant } from './helpers/modes.js';
import { ROOT, startStack, type Stack } from './helpers/stack.js';

const KIT_DIR = path.join(ROOT, 'packages', 'subgraph-kit');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'subgraph-kit');
const CHECKER = path.join(ROOT, 'scripts', 'check-subgraph.ts');
/** What the folder outside installs besides the kit: the versions this repository's lock file has, so the npm cache has them. */
const PEERS = ['graphql', 'graphql-yoga', '@apollo/server', '@apollo/subgraph', 'redis', 'jose'];

/** The environment for npm and the fixtures: this process's, without what `npm test` set for its own package. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key) && key !== 'NODE_OPTIONS') env[key] = value;
  return { ...env, ...extra };
}

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: options.cwd, env: options.env ?? cleanEnv(), timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
}

const versionOf = (name: string) => (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/** Every process this file starts; stopped in afterAll, and killed if this process exits first. */
const started = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

/** Starts `node <fixture>` in the folder outside; resolves once it says it listens. */
async function startFixture(outside: string, fixture: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(outside, fixture)], { cwd: outside, env: cleanEnv({ ...env, PORT: String(port) }), stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  child.once('exit', () => started.delete(child));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${fixture} did not listen within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${fixture} exited (${code}) before listening:\n${output}`));
    });
  });
  return { child, url: `http://127.0.0.1:${port}/graphql` };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** `npm run check:subgraph` as an operator runs it (the script itself, with tsx: npm's own lines left out). */
function checker(args: string[], env: Record<string, string>) {
  return run(process.execPath, ['--import', 'tsx', CHECKER, ...args], { cwd: ROOT, env: cleanEnv(env), timeoutMs: 60_000 });
}

/** The names of the checks a report line marks FAIL. */
const failedLines = (output: string) => [...output.matchAll(/^ {2}FAIL {2}(.+?) {2,}expected /gm)].map((match) => match[1].trim());

let outside: string;

beforeAll(async () => {
  outside = tempDir('fag-kit-outside-');
  expect(path.relative(ROOT, outside).startsWith('..')).toBe(true);
  // prepack builds the kit (a no-op when npm test's pretest just did).
  const packed = await run('npm', ['pack', '--pack-destination', outside, '--silent'], { cwd: KIT_DIR });
  expect(packed.code, packed.stderr).toBe(0);
  const tarball = fs.readdirSync(outside).find((file) => file.endsWith('.tgz'));
  expect(tarball).toBeDefined();
  fs.writeFileSync(
    path.join(outside, 'package.json'),
    JSON.stringify({
      name: 'a-team-elsewhere',
      private: true,
      type: 'module',
      dependencies: { '@fedgw/subgraph-kit': `file:./${tarball}`, ...Object.fromEntries(PEERS.map((name) => [name, versionOf(name)])) },
    }),
  );
  for (const file of fs.readdirSync(FIXTURES)) fs.copyFileSync(path.join(FIXTURES, file), path.join(outside, file));
  const installed = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: outside, timeoutMs: 180_000 });
  expect(installed.code, installed.stderr).toBe(0);
  // What got installed is the tarball's content, not a link back into this repository.
  const kit = path.join(outside, 'node_modules', '@fedgw', 'subgraph-kit');
  expect(fs.lstatSync(kit).isSymbolicLink()).toBe(false);
  expect(fs.existsSync(path.join(kit, 'dist', 'index.d.ts'))).toBe(true);
  expect(fs.existsSync(path.join(kit, 'src'))).toBe(false);
}, 240_000);

afterAll(async () => {
  if (outside) fs.rmSync(outside, { recursive: true, force: true });
});

const variants: ModeVariant[] = redisAvailable || IN_CI ? [TOKEN, SESSION_REDIS] : [TOKEN];
if (!variants.includes(SESSION_REDIS)) console.warn(`skipping the kit's session-mode run: no Redis answers at ${REDIS_URL}`);

describe.each(variants)('the packed kit, $name mode', (variant) => {
  let stack: Stack;
  let widgets: { child: ChildProcess; url: string };
  let gadgets: { child: ChildProcess; url: string };

  beforeAll(async () => {
    const gatewayPort = await freePort();
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const env = { AUTH_MODE: variant.mode, GATEWAY_JWKS_URL: `${gatewayUrl}/.well-known/jwks.json`, GATEWAY_ISSUER: gatewayUrl, SESSION_STORE: REDIS_URL };
    [widgets, gadgets] = await Promise.all([startFixture(outside, 'yoga-subgraph.mjs', env), startFixture(outside, 'apollo-subgraph.mjs', env)]);
    stack = await startStack({
      mode: variant.mode,
      env: variant.env,
      gatewayPort,
      external: [
        { name: 'widgets', url: widgets.url },
        { name: 'gadgets', url: gadgets.url },
      ],
    });
  }, 90_000);
  afterAll(async () => {
    await stack?.close();
    await Promise.all([widgets, gadgets].filter(Boolean).map(({ child }) => stop(child)));
  });

  it("alice's query reaches both, through entity fetches too, with her identity", async () => {
    const alice = stack.client();
    expect((await alice.login('alice', 'wonderland')).status).toBe(200);
    const result = await alice.query('{ me { id widgetNote gadgetNote } widgets { id seenBy cost maker } gadgets { seenBy secret } }');
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data).toEqual({
      me: { id: 'u1', widgetNote: 'widgets sees u1 asking about u1', gadgetNote: 'gadgets sees u1 asking about u1' },
      widgets: [
        { id: 'w1', seenBy: 'u1', cost: 1.5, maker: 'Acme' },
        { id: 'w2', seenBy: 'u1', cost: 2.25, maker: 'Initech' },
      ],
      gadgets: [{ seenBy: 'u1', secret: 'made of cheese' }],
    });
  });

  it("bob's and an anonymous caller's are withheld what they may not see", async () => {
    const bob = stack.client();
    await bob.login('bob', 'builder');
    const asBob = await bob.query('{ widgets { seenBy cost maker } gadgets { seenBy secret } }');
    expect(asBob.body.data).toEqual({ widgets: [{ seenBy: 'u2', cost: null, maker: null }, { seenBy: 'u2', cost: null, maker: null }], gadgets: [{ seenBy: 'u2', secret: null }] });
    expect(new Set(asBob.body.errors?.map((error) => error.extensions?.code))).toEqual(new Set(['UNAUTHORIZED_FIELD_OR_TYPE']));
    const anonymous = await stack.client().query('{ widgets { name seenBy } gadgets { name } }');
    expect(anonymous.body.data).toEqual({ widgets: [{ name: 'Sprocket', seenBy: null }, { name: 'Flange', seenBy: null }], gadgets: [{ name: 'Whatsit' }] });
  });

  // Token mode: a token for bob, minted here with the gateway's key, straight to the subgraph.
  if (variant.mode === 'token') it("the kit itself enforces the schema's rules, for a request that bypassed the gateway's filter", async () => {
    const key = (await loadSigningKeys(stack.env.GATEWAY_KEYS_DIR)).current;
    const { token } = await mintIdentityToken(key, { issuer: stack.env.GATEWAY_ISSUER, audience: 'widgets', identity: { kind: 'user', id: 'u2', scopes: [] }, ttlSeconds: 60 });
    const direct = await postJson(widgets.url, { query: '{ widgets { seenBy cost } }' }, { authorization: `Bearer ${token}` });
    expect(direct.status).toBe(200);
    expect(direct.body.data.widgets[0]).toEqual({ seenBy: 'u2', cost: null });
    expect(direct.body.errors[0].extensions.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
    expect(direct.headers.get('x-auth-cost')).toMatch(/^verified=1;/);
  });

  it('check:subgraph passes on both, as an operator runs it', async () => {
    const env: Record<string, string> = variant.mode === 'token'
      ? { AUTH_MODE: 'token', GATEWAY_KEYS_DIR: stack.env.GATEWAY_KEYS_DIR, GATEWAY_ISSUER: stack.env.GATEWAY_ISSUER }
      : { AUTH_MODE: 'session', SHARED_STORE: REDIS_URL };
    const runs = await Promise.all([
      checker(['--url', widgets.url, '--name', 'widgets'], env),
      checker(['--url', gadgets.url, '--name', 'gadgets'], env),
    ]);
    for (const { code, stdout, stderr } of runs) {
      expect(code, `${stdout}\n${stderr}`).toBe(0);
      expect(stdout).toMatch(/^\d+ passed, 0 failed$/m);
      expect(failedLines(stdout)).toEqual([]);
    }
  });

  it('check:subgraph passes on every demo subgraph', async () => {
    const options = variant.mode === 'token'
      ? { mode: 'token' as const, signer: await gatewaySigner(stack.env.GATEWAY_KEYS_DIR, stack.env.GATEWAY_ISSUER) }
      : { mode: 'session' as const, store: parseStoreValue(REDIS_URL, 'REDIS_URL') };
    for (const [name, subgraph] of Object.entries(stack.subgraphs)) {
      const report: CheckReport = await checkSubgraph({ ...options, url: `${subgraph.url}/graphql`, name });
      expect(report.failed, formatReport(report)).toBe(0);
      expect(report.passed).toBe(report.results.length);
    }
  });
});

describe('check:subgraph on subgraphs that do not conform', () => {
  let stack: Stack;
  const fixtures: ChildProcess[] = [];
  beforeAll(async () => {
    stack = await startStack({ mode: 'token' });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(fixtures.map(stop));
    await stack?.close();
  });

  it('fails one that takes any bearer token at its word on every hostile token, and on nothing else', async () => {
    const { child, url } = await startFixture(outside, 'any-bearer-subgraph.mjs', {});
    fixtures.push(child);
    const { code, stdout } = await checker(['--url', url, '--name', 'things'], { AUTH_MODE: 'token', GATEWAY_KEYS_DIR: stack.env.GATEWAY_KEYS_DIR, GATEWAY_ISSUER: stack.env.GATEWAY_ISSUER });
    expect(code, stdout).toBe(1);
    expect(failedLines(stdout)).toEqual([
      'a malformed token',
      'alg "none" (no signature)',
      "HS256 keyed with the public key's PEM (SPKI)",
      "HS256 keyed with the public key's JWK",
      'an unknown kid',
      "another key's signature under the gateway's kid",
      'a jku header naming another key set',
      'an x5u header naming another certificate',
      'an embedded jwk header',
      'typ JWT instead of identity+jwt',
      "the client's access token (typ at+jwt, aud = the gateway)",
      "another subgraph's audience",
      'an audience list smuggling its own name',
      'expired (30 s ago)',
      'not yet valid (nbf in 10 minutes)',
      'another issuer',
    ]);
    expect(stdout).toMatch(/^13 passed, 16 failed$/m);
    expect(stdout).toMatch(/FAIL {2}alg "none" \(no signature\) +expected 401 +seen 200$/m);
  });

  /** The checker against `fixture`, started against the checker's own throwaway JWKS. */
  const checkAgainstThrowawayKeys = async (fixture: string, name: string) => {
    const jwksPort = await freePort();
    const { child, url } = await startFixture(outside, fixture, { AUTH_MODE: 'token', GATEWAY_JWKS_URL: `http://127.0.0.1:${jwksPort}/.well-known/jwks.json` });
    fixtures.push(child);
    return checker(['--url', url, '--name', name, '--serve-jwks', String(jwksPort)], { AUTH_MODE: 'token' });
  };

  it("fails one that trusts X-User-Id instead of a token on that line only (against the checker's own throwaway JWKS)", async () => {
    const { code, stdout } = await checkAgainstThrowawayKeys('trusts-user-id-subgraph.mjs', 'notes');
    expect(code, stdout).toBe(1);
    expect(failedLines(stdout)).toEqual(['X-User-Id: u1 instead of a token']);
    expect(stdout).toMatch(/FAIL {2}X-User-Id: u1 instead of a token +expected 401 +seen 200$/m);
    // Its real entity resolver ran (for a Note it does not have), and answered.
    expect(stdout).toMatch(/PASS {2}an _entities request \(a Note\) with a valid token +expected 200 +seen 200$/m);
    expect(stdout).toMatch(/^28 passed, 1 failed$/m);
  });

  it('fails one that trusts X-User-Id next to an anonymous caller’s good token on that line only', async () => {
    const { code, stdout } = await checkAgainstThrowawayKeys('trusts-user-id-next-to-token-subgraph.mjs', 'memos');
    expect(code, stdout).toBe(1);
    expect(failedLines(stdout)).toEqual(["X-User-Id: u1 next to an anonymous caller's token"]);
    // Asked on its @authenticated field: null and denied for the token alone, u1's answer with the header.
    expect(stdout).toMatch(/FAIL {2}X-User-Id: u1 next to an anonymous caller's token +expected unchanged +seen changed: 200 \{"whoami":"u1"\}$/m);
    expect(stdout).toMatch(/^28 passed, 1 failed$/m);
  });
});
