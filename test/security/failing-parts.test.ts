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
import { loadSubgraphConfig } from '../../shared/config/subgraph.js';
import { startSubgraph } from '../../shared/subgraph-server.js';
import { silentLogger } from '../../shared/observability/logger.js';
import { accountsSubgraph } from '../../subgraphs/accounts/index.js';
import { modeVariants } from '../helpers/modes.js';
import { DEEP_QUERY } from '../../subgraphs/demo.js';
import { freePort, tempDir as makeTempDir } from '../../scripts/lib/local.js';
import { startStack, type Stack } from '../helpers/stack.js';

const root = path.resolve(import.meta.dirname, '../..');

describe.each(modeVariants())('one subgraph down, $name mode', (variant) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode: variant.mode, env: variant.env });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("returns the other subgraphs' data, an error for its fields, and stays up", async () => {
    await stack.subgraphs.orders.close();
    const alice = stack.client();
    await alice.login('alice', 'wonderland');
    const result = await alice.query('{ products { name } me { name orders { id } } }');
    expect(result.status).toBe(200);
    expect(result.body.data?.products.map((product: { name: string }) => product.name)).toEqual(['Teapot', 'Looking glass', 'Pocket watch']);
    // User.orders is non-null, so the failure nulls `me` (GraphQL null propagation), with an error saying why.
    expect(result.body.data?.me).toBeNull();
    expect(result.body.errors?.length).toBeGreaterThan(0);
    expect((await alice.query('{ me { id name } }')).body.data?.me).toEqual({ id: 'u1', name: 'Alice Liddell' });
    expect((await stack.client().query('{ products { id } }')).body.errors).toBeUndefined();
    expect((await fetch(`${stack.gatewayUrl}/healthz`)).status).toBe(200);
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
