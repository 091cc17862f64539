/**
 * Access tokens from an external OpenID Connect provider: a small OIDC-like
 * issuer on loopback publishes its keys; the gateway verifies its tokens with
 * the cached remote JWKS, refetching on an unknown kid after a cool-down.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowSeconds } from '../../scripts/lib/hostile.js';
import { freePort } from '../../scripts/lib/local.js';
import { startStack, type Stack } from '../helpers/stack.js';

interface Issuer {
  url: string;
  jwksHits: () => number;
  addKey(kid: string): Promise<CryptoKey>;
  close(): Promise<void>;
}

async function startIssuer(): Promise<Issuer> {
  const keys: JWK[] = [];
  let jwksHits = 0;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = http.createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: url, jwks_uri: `${url}/jwks.json` }));
    } else if (req.url === '/jwks.json') {
      jwksHits++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url,
    jwksHits: () => jwksHits,
    async addKey(kid) {
      const pair = await generateKeyPair('RS256', { extractable: true });
      keys.push({ ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' });
      return pair.privateKey;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const AUDIENCE = 'api://federated-gateway';
// Long enough that a loaded machine cannot outwait it between two requests by accident.
const COOLDOWN_SECONDS = 3;
const pastCooldown = () => new Promise((resolve) => setTimeout(resolve, COOLDOWN_SECONDS * 1000 + 100));

describe('external OpenID Connect access tokens (token mode)', () => {
  let issuer: Issuer;
  let stack: Stack;
  let key1: CryptoKey;

  const token = (key: CryptoKey, kid: string, claims: Record<string, unknown> = {}, typ = 'at+jwt') =>
    new SignJWT({ scope: 'admin', aud: AUDIENCE, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid, typ })
      .setIssuer(issuer.url)
      .setSubject('u1')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);

  const me = async (bearer: string) => {
    const result = await stack.client().query('{ me { id name } products { cost } }', { headers: { authorization: `Bearer ${bearer}` } });
    return { status: result.status, code: result.body.errors?.[0]?.extensions?.code, data: result.body.data };
  };

  beforeAll(async () => {
    issuer = await startIssuer();
    key1 = await issuer.addKey('idp-1');
    stack = await startStack({
      mode: 'token',
      env: { OIDC_ISSUER: issuer.url, OIDC_AUDIENCE: AUDIENCE, OIDC_JWKS_URL: `${issuer.url}/jwks.json`, OIDC_JWKS_COOLDOWN: String(COOLDOWN_SECONDS) },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await issuer?.close();
  });

  it("accepts the provider's token, and its sub and scope reach the subgraphs", async () => {
    const answer = await me(await token(key1, 'idp-1'));
    expect(answer.status).toBe(200);
    expect(answer.data?.me).toEqual({ id: 'u1', name: 'Alice Liddell' });
    expect(answer.data?.products[0].cost).toBe(9.5);
  });

  it('fetches the JWKS once and then serves from its cache', async () => {
    const before = issuer.jwksHits();
    for (let i = 0; i < 3; i++) expect((await me(await token(key1, 'idp-1'))).status).toBe(200);
    expect(issuer.jwksHits()).toBe(before);
  });

  it('accepts the scp list form of scopes and typ JWT', async () => {
    const answer = await me(await token(key1, 'idp-1', { scope: undefined, scp: ['admin'] }, 'JWT'));
    expect(answer.status).toBe(200);
    expect(answer.data?.products[0].cost).toBe(9.5);
  });

  it('refuses a wrong audience, an expired token, and HS256: 401 with a code', async () => {
    expect(await me(await token(key1, 'idp-1', { aud: 'someone-else' }))).toMatchObject({ status: 401, code: 'TOKEN_INVALID' });
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'idp-1', typ: 'at+jwt' })
      .setIssuer(issuer.url)
      .setAudience(AUDIENCE)
      .setSubject('u1')
      .setIssuedAt(nowSeconds() - 600)
      .setExpirationTime(nowSeconds() - 300)
      .sign(key1);
    expect(await me(expired)).toMatchObject({ status: 401, code: 'TOKEN_EXPIRED' });
    const hs = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: 'idp-1', typ: 'at+jwt' })
      .setIssuer(issuer.url)
      .setAudience(AUDIENCE)
      .setSubject('u1')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('a-shared-secret-nobody-configured'));
    expect(await me(hs)).toMatchObject({ status: 401, code: 'TOKEN_INVALID' });
    expect((await stack.client().query('{ products { id } }')).status).toBe(200);
  });

  it('refetches on an unknown kid, but not within the cool-down', { timeout: 20_000 }, async () => {
    await pastCooldown();
    const key2 = await issuer.addKey('idp-2');
    const hits = issuer.jwksHits();
    // The provider rotated: the new kid triggers one refetch.
    expect((await me(await token(key2, 'idp-2'))).status).toBe(200);
    expect(issuer.jwksHits()).toBe(hits + 1);
    // Just fetched: within the cool-down another new kid is refused without a fetch...
    const key3 = await issuer.addKey('idp-3');
    expect(await me(await token(key3, 'idp-3'))).toMatchObject({ status: 401, code: 'TOKEN_INVALID' });
    expect(issuer.jwksHits()).toBe(hits + 1);
    // ...and accepted once the cool-down is over.
    await pastCooldown();
    expect((await me(await token(key3, 'idp-3'))).status).toBe(200);
    expect(issuer.jwksHits()).toBe(hits + 2);
    // A kid the provider never published: no refetch within the cool-down, however often it is tried.
    const stranger = await generateKeyPair('RS256');
    const afterRefetch = issuer.jwksHits();
    expect(await me(await token(stranger.privateKey, 'idp-unknown'))).toMatchObject({ status: 401, code: 'TOKEN_INVALID' });
    expect(await me(await token(stranger.privateKey, 'idp-unknown'))).toMatchObject({ status: 401, code: 'TOKEN_INVALID' });
    expect(issuer.jwksHits()).toBe(afterRefetch);
  });

  it('still accepts its own access tokens beside the provider', async () => {
    const bob = stack.client();
    await bob.login('bob', 'builder');
    expect((await bob.query('{ me { id } }')).body.data?.me).toEqual({ id: 'u2' });
  });
});
