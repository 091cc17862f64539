/**
 * Every dependency can fail: a subgraph, the gateway's JWKS, a key file, the
 * subgraph list. Each failure gets a clear answer and the rest keeps working.
 */
import { generateKeyPairSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { decodeProtectedHeader, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintIdentityToken, remoteKeys } from '@fedgw/subgraph-kit/token';
import { eventually } from '../helpers/eventually.js';
import { postJson } from '../helpers/http.js';
import { metricValue, scrape } from '../helpers/metrics.js';
import { loadSubgraphConfig } from '../../shared/config/subgraph.js';
import { startSubgraph } from '../../shared/subgraph-server.js';
import { silentLogger } from '../../shared/observability/logger.js';
import { accountsSubgraph } from '../../subgraphs/accounts/index.js';
import { modeVariants } from '../helpers/modes.js';
import { DEEP_QUERY } from '../../subgraphs/demo.js';
import { freePort, tempDir as makeTempDir } from '../../scripts/lib/local.js';
import { startStack, type Stack } from '../helpers/stack.js';

const root = path.resolve(import.meta.dirname, '../..');

/** Development and production: the subgraph's name and the path are told in both, its URL in neither. */
const SUBGRAPH_DOWN_VARIANTS = modeVariants().flatMap((variant) => [
  { ...variant, where: 'development', production: false },
  { ...variant, where: 'production', production: true },
]);

/**
 * A server on a closed subgraph's port that answers as a broken one would: a proxy's 502 page,
 * plain text, or GraphQL errors of its own with a 4xx. `answer` is switched per test.
 */
async function impostor(port: number) {
  let answer: { status: number; type: string; body: string } = { status: 502, type: 'text/html', body: '<html><body>502 Bad Gateway</body></html>' };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    answer: (next: typeof answer) => void (answer = next),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** alice, signed in (in production through a trusted proxy: a Secure cookie is never set over plain HTTP). */
async function signedIn(stack: Stack) {
  const alice = stack.client();
  const answer = await postJson(`${stack.gatewayUrl}/auth/login`, { username: 'alice', password: 'wonderland' }, { 'x-forwarded-proto': 'https' });
  expect(answer.status).toBe(200);
  alice.token = answer.body.access_token;
  alice.cookie = answer.headers.getSetCookie()[0]?.split(';')[0];
  return alice;
}

/** Every error of `body` for a failed subgraph: its code, its name, and nothing that locates it on the network. */
function expectNamedFailure(body: any, subgraph: string, port: number) {
  const failures = body.errors.filter((error: any) => error.extensions?.code === 'SUBGRAPH_UNAVAILABLE');
  expect(failures.length).toBeGreaterThan(0);
  for (const error of failures) expect(error.extensions.subgraph).toBe(subgraph);
  // The auth trace (outside production) names the gateway's own issuer in its claims: public, not the subgraph's address.
  const { authTrace, ...extensions } = body.extensions ?? {};
  const text = JSON.stringify({ ...body, extensions });
  expect(text).not.toMatch(/127\.0\.0\.1|localhost|https?:\/\/|ECONNREFUSED|fetch failed/);
  expect(JSON.stringify(authTrace ?? {})).not.toMatch(/ECONNREFUSED|fetch failed/);
  expect(text).not.toContain(`:${port}`);
  return failures as { path?: (string | number)[]; extensions: { code: string; subgraph: string } }[];
}

describe.each(SUBGRAPH_DOWN_VARIANTS)('one subgraph down, $name mode, $where', (variant) => {
  let stack: Stack;
  let replacement: Awaited<ReturnType<typeof impostor>> | undefined;
  beforeAll(async () => {
    // Production: the session cookie is Secure, so the login comes through a trusted proxy that terminated TLS.
    const production: Record<string, string> = variant.production ? { NODE_ENV: 'production', SESSION_SECRET: 'failing-parts-test-secret-of-40-characters!!', TRUST_PROXY: 'loopback' } : {};
    stack = await startStack({ mode: variant.mode, env: { ...variant.env, ...production }, logs: true });
  });
  afterAll(async () => {
    await replacement?.close();
    await stack?.close();
  });

  it("returns the other subgraphs' data, SUBGRAPH_UNAVAILABLE naming it at its fields' path, and stays up", async () => {
    const ordersPort = stack.subgraphs.orders.port;
    await stack.subgraphs.orders.close();
    const alice = await signedIn(stack);
    const result = await alice.query('{ products { name } me { name orders { id } } }', { headers: { 'x-request-id': 'orders-down-1' } });
    expect(result.status).toBe(200);
    expect(result.body.data?.products.map((product: { name: string }) => product.name)).toEqual(['Teapot', 'Looking glass', 'Pocket watch']);
    // User.orders is non-null, so the failure nulls `me` (GraphQL null propagation), with an error saying why, at orders' path.
    expect(result.body.data?.me).toBeNull();
    const failures = expectNamedFailure(result.body, 'orders', ordersPort);
    expect(failures.map((error) => error.path)).toEqual([['me', 'orders']]);
    expect((await alice.query('{ me { id name } }')).body.data?.me).toEqual({ id: 'u1', name: 'Alice Liddell' });
    expect((await stack.client().query('{ products { id } }')).body.errors).toBeUndefined();
    expect((await fetch(`${stack.gatewayUrl}/healthz`)).status).toBe(200);

    // The operator sees which subgraph failed: on the access line and in a counter per subgraph.
    const line = await eventually(async () => {
      const found = stack.logs.lines().find((entry) => entry.service === 'gateway' && entry.reqId === 'orders-down-1' && entry.msg === 'request completed');
      expect(found).toBeDefined();
      return found!;
    });
    expect(line.unavailable).toEqual(['orders']);
    expect(metricValue(await scrape(stack.gatewayUrl), 'fedgw_subgraph_unavailable_total', { subgraph: 'orders', reason: 'connection' })).toBeGreaterThanOrEqual(1);
  });

  it("a 5xx page or a non-GraphQL answer is SUBGRAPH_UNAVAILABLE at each entity's field; a subgraph's own GraphQL errors keep their code", async () => {
    const port = stack.subgraphs.reviews.port;
    await stack.subgraphs.reviews.close();
    replacement = await impostor(port);
    const query = '{ products { id reviews { body } } }';
    const failed = async (reason: string) => {
      const before = metricValue(await scrape(stack.gatewayUrl), 'fedgw_subgraph_unavailable_total', { subgraph: 'reviews', reason });
      const result = await stack.client().query(query);
      expect(result.status).toBe(200);
      // Product.reviews and Query.products are non-null: the nulls propagate to `data`; one error per product, at its reviews.
      expect(result.body.data).toBeNull();
      const failures = expectNamedFailure(result.body, 'reviews', port);
      expect(failures.map((error) => error.path)).toEqual([0, 1, 2].map((index) => ['products', index, 'reviews']));
      expect(metricValue(await scrape(stack.gatewayUrl), 'fedgw_subgraph_unavailable_total', { subgraph: 'reviews', reason })).toBe(before + 1);
    };
    await failed('status');
    replacement.answer({ status: 200, type: 'text/plain', body: 'upstream connect error or disconnect/reset before headers' });
    await failed('response');
    replacement.answer({ status: 200, type: 'application/json', body: '{"data": ' });
    await failed('response');

    replacement.answer({ status: 400, type: 'application/json', body: JSON.stringify({ errors: [{ message: 'refused', extensions: { code: 'BAD_USER_INPUT' } }] }) });
    const refused = await stack.client().query(query);
    expect(refused.status).toBe(200);
    expect(refused.body.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    // As in expectNamedFailure: the auth trace's claims name the gateway's own (public) issuer, not the subgraph.
    const { authTrace: _trace, ...extensions } = refused.body.extensions ?? {};
    expect(JSON.stringify({ ...refused.body, extensions })).not.toMatch(/127\.0\.0\.1|localhost|https?:\/\//);
  });
});

/** A JWKS endpoint in front of the gateway's that a test can take away. */
async function jwksProxy(target: () => string) {
  const server = http.createServer(async (_req, res) => {
    const upstream = await fetch(`${target()}/.well-known/jwks.json`);
    res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('the gateway JWKS becomes unreachable (token mode)', () => {
  let stack: Stack;
  let proxy: Awaited<ReturnType<typeof jwksProxy>>;
  beforeAll(async () => {
    const gatewayPort = await freePort();
    proxy = await jwksProxy(() => `http://127.0.0.1:${gatewayPort}`);
    stack = await startStack({ mode: 'token', gatewayPort, env: { GATEWAY_JWKS_URL: proxy.url } });
  });
  afterAll(async () => {
    await stack?.close();
    await proxy?.close();
  });

  it('subgraphs keep verifying with the keys they have', async () => {
    const alice = stack.client();
    await alice.login('alice', 'wonderland');
    expect((await alice.query(DEEP_QUERY)).body.data?.me.id).toBe('u1');
    await proxy.close();
    const result = await alice.query(DEEP_QUERY);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data?.me).toMatchObject({ id: 'u1', orders: [{ id: 'o1' }] });
  });

  it('a key they never saw, while the JWKS is down, is 503 KEYS_UNAVAILABLE, not 401', async () => {
    // Past the subgraph's refetch cool-down, so it really tries to fetch.
    await new Promise((resolve) => setTimeout(resolve, 5200));
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const { token } = await mintIdentityToken(
      { kid: 'rotated-in-during-the-outage', privateKey },
      { issuer: stack.env.GATEWAY_ISSUER, audience: 'accounts', identity: { kind: 'user', id: 'u1', scopes: [] }, ttlSeconds: 60 },
    );
    const response = await fetch(`${stack.subgraphs.accounts.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    expect(response.status).toBe(503);
    expect(((await response.json()) as any).errors[0].extensions.code).toBe('KEYS_UNAVAILABLE');
  }, 15_000);
});

describe('remote keys past their cache age', () => {
  it('fall back to the last good key set when the JWKS cannot be fetched', async () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'EdDSA' };
    const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    // Always stale: every lookup tries to fetch again.
    const keys = remoteKeys(`http://127.0.0.1:${port}/jwks`, { cacheMaxAgeMs: 0, cooldownMs: 0 });
    const header = { alg: 'EdDSA', kid: 'k1' };
    expect(await keys(header, {} as any)).toBeDefined();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    expect(await keys(header, {} as any)).toBeDefined();
    await expect(keys({ alg: 'EdDSA', kid: 'never-seen' }, {} as any)).rejects.toThrow();
  });
});

describe('a subgraph that never had keys', () => {
  it('answers 503 KEYS_UNAVAILABLE while the JWKS is unreachable, and keeps answering', async () => {
    const deadPort = await freePort();
    const subgraph = await startSubgraph(
      accountsSubgraph,
      loadSubgraphConfig('accounts', 0, { PORT: '0', GATEWAY_JWKS_URL: `http://127.0.0.1:${deadPort}/.well-known/jwks.json` }),
      { logger: silentLogger },
    );
    try {
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      const { token } = await mintIdentityToken(
        { kid: 'k', privateKey },
        { issuer: `http://127.0.0.1:${deadPort}`, audience: 'accounts', identity: null, ttlSeconds: 60 },
      );
      for (let i = 0; i < 2; i++) {
        const response = await fetch(`${subgraph.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: '{ me { id } }' }),
        });
        expect(response.status).toBe(503);
        expect(((await response.json()) as any).errors[0].extensions.code).toBe('KEYS_UNAVAILABLE');
      }
      expect((await fetch(`${subgraph.url}/healthz`)).status).toBe(200);
    } finally {
      await subgraph.close();
    }
  });
});

describe('bad files at start stop the gateway with one line', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = makeTempDir();
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });
  const start = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], {
      cwd: root,
      env: { ...process.env, PORT: '0', ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });

  it('a corrupt key file: GATEWAY_KEYS_DIR', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'broken.pem'), '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n');
    const result = start({ GATEWAY_KEYS_DIR: dir });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^configuration error: GATEWAY_KEYS_DIR must be /);
  });

  it('an unreadable or malformed subgraph list: SUBGRAPHS_FILE', () => {
    const dir = tempDir();
    for (const file of [path.join(dir, 'missing.json'), path.join(dir, 'broken.json')]) {
      if (file.endsWith('broken.json')) fs.writeFileSync(file, '[{"name": "accounts", ');
      const result = start({ SUBGRAPHS_FILE: file, GATEWAY_KEYS_DIR: path.join(dir, 'keys') });
      expect(result.status, file).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^configuration error: SUBGRAPHS_FILE must be /);
    }
  });
});

describe('signing key rotation (token mode)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode: 'token', env: { KEY_ACTIVATION_DELAY: '6' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a new key is published at once and signs after the activation delay, without a restart; tokens signed by the previous key keep verifying', async () => {
    const alice = stack.client();
    await alice.login('alice', 'wonderland');
    const oldKid = decodeProtectedHeader(alice.token!).kid;

    const { privateKey } = generateKeyPairSync('ed25519');
    const file = path.join(stack.env.GATEWAY_KEYS_DIR, `ed25519-${new Date().toISOString().replace(/[:.]/g, '-')}.pem`);
    fs.writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });

    const jwks = await eventually(async () => {
      const keys = (await (await fetch(`${stack.gatewayUrl}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
      expect(keys.keys).toHaveLength(2);
      return keys;
    });
    const bob = stack.client();
    const newKid = await eventually(async () => {
      await bob.login('bob', 'builder');
      const kid = decodeProtectedHeader(bob.token!).kid;
      expect(kid).not.toBe(oldKid);
      return kid;
    });
    expect(jwks.keys.map((key) => key.kid).sort()).toEqual([oldKid, newKid].sort());

    // alice's token from the old key still works, through every subgraph (which now see the new key's identity tokens).
    const result = await alice.query(DEEP_QUERY);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data?.me).toMatchObject({ id: 'u1', orders: [{ id: 'o1' }] });
    expect((await bob.query('{ me { id } }')).body.data?.me).toEqual({ id: 'u2' });
  }, 30_000);
});
