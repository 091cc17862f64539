/**
 * What only token mode has: per-subgraph identity tokens, subgraphs that
 * answer only the gateway, a JWKS with public keys only, and signing at most
 * once per (identity, subgraph) per token lifetime.
 */
import fs from 'node:fs';
import path from 'node:path';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { mintIdentityToken, type SigningKey } from '@fedgw/subgraph-kit/token';
import { loadSigningKeys } from '../gateway/auth/signing-keys.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson } from './helpers/http.js';
import { DEEP_QUERY } from '../subgraphs/demo.js';
import { startStack, type Stack } from './helpers/stack.js';

let stack: Stack;
let gatewayKey: SigningKey;

beforeAll(async () => {
  stack = await startStack({ mode: 'token', record: true });
  // The gateway's own signing key, read the way the gateway reads it.
  gatewayKey = (await loadSigningKeys(stack.env.GATEWAY_KEYS_DIR)).current;
});
afterAll(async () => {
  await stack?.close();
});

const ME = '{ me { id } }';

function callSubgraph(name: string, authorization?: string, query = ME) {
  return postJson(`${stack.subgraphs[name].url}/graphql`, { query }, authorization ? { authorization } : {});
}

const mint = (audience: string, overrides: { ttlSeconds?: number; issuer?: string; key?: SigningKey } = {}) =>
  mintIdentityToken(overrides.key ?? gatewayKey, {
    issuer: overrides.issuer ?? stack.env.GATEWAY_ISSUER,
    audience,
    identity: { kind: 'user', id: 'u1', scopes: ['admin'] },
    ttlSeconds: overrides.ttlSeconds ?? 60,
  }).then((minted) => `Bearer ${minted.token}`);

describe('identity tokens on the wire', () => {
  it('sends every subgraph, on every fetch including entity fetches, a token addressed to it alone', async () => {
    const alice = stack.client();
    await alice.login('alice', 'wonderland');
    for (const requests of Object.values(stack.seen)) requests.length = 0;
    const result = await alice.query(DEEP_QUERY);
    expect(result.body.data?.me.id).toBe('u1');

    for (const [name, requests] of Object.entries(stack.seen)) {
      expect(requests.length, name).toBeGreaterThan(0);
      for (const { headers } of requests) {
        const token = headers.authorization!.replace(/^Bearer /, '');
        expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'EdDSA', typ: 'identity+jwt', kid: gatewayKey.kid });
        const claims = decodeJwt(token);
        expect(claims).toMatchObject({ iss: stack.env.GATEWAY_ISSUER, aud: name, sub: 'u1', scope: 'admin' });
        expect(claims.exp! - claims.iat!).toBe(60);
        expect(claims.jti).toEqual(expect.any(String));
        // the client's own access token never travels on
        expect(token).not.toBe(alice.token);
      }
    }
    // The entity fetches are there: orders, products and reviews were asked for _entities.
    for (const name of ['orders', 'products', 'reviews']) {
      expect(stack.seen[name].some((request) => request.body.includes('_entities')), name).toBe(true);
    }
  });

  it('signs at most once per (identity, subgraph), and reuses the token for later queries', async () => {
    const bob = stack.client();
    await bob.login('bob', 'builder');
    const first = (await bob.query(DEEP_QUERY)).body as any;
    expect(first.extensions.authCost.tokensSigned).toBeLessThanOrEqual(4);
    // Every fetch is authenticated; each new token's signature is checked once, later fetches hit the subgraph's cache.
    expect(first.extensions.authCost.tokensVerified + first.extensions.authCost.verifyCacheHits).toBe(first.extensions.authCost.subgraphFetches);
    expect(first.extensions.authCost.tokensVerified).toBe(first.extensions.authCost.tokensSigned);
    const second = (await bob.query(DEEP_QUERY)).body as any;
    expect(second.extensions.authCost.tokensSigned).toBe(0);
    expect(second.extensions.authCost.tokenCacheHits).toBe(second.extensions.authCost.subgraphFetches);
    expect(second.extensions.authCost.tokensVerified).toBe(0);
    expect(second.extensions.authCost.verifyCacheHits).toBe(second.extensions.authCost.subgraphFetches);
  });

  it('gives an anonymous caller a gateway token without sub', async () => {
    for (const requests of Object.values(stack.seen)) requests.length = 0;
    await stack.client().query('{ products { id } }');
    const token = stack.seen.products[0].headers.authorization!.replace(/^Bearer /, '');
    const claims = decodeJwt(token);
    expect(claims.sub).toBeUndefined();
    expect(claims.aud).toBe('products');
  });
});

describe('a subgraph answers only the gateway', () => {
  it('accepts a valid gateway token for its own audience', async () => {
    const answer = await callSubgraph('accounts', await mint('accounts'));
    expect(answer.status).toBe(200);
    expect(answer.body.data.me).toEqual({ id: 'u1' });
  });

  it('refuses a request without a token, even introspection: 401 TOKEN_MISSING', async () => {
    for (const query of [ME, '{ _service { sdl } }', '{ __schema { types { name } } }']) {
      const answer = await callSubgraph('accounts', undefined, query);
      expect(answer.status).toBe(401);
      expect(answer.body.errors[0].extensions.code).toBe('TOKEN_MISSING');
    }
  });

  it("refuses another subgraph's token: 401 TOKEN_INVALID", async () => {
    const answer = await callSubgraph('accounts', await mint('products'));
    expect(answer.status).toBe(401);
    expect(answer.body.errors[0].extensions.code).toBe('TOKEN_INVALID');
  });

  it('refuses an expired token: 401 TOKEN_EXPIRED', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ scope: '' })
      .setProtectedHeader({ alg: 'EdDSA', kid: gatewayKey.kid, typ: 'identity+jwt' })
      .setIssuer(stack.env.GATEWAY_ISSUER)
      .setAudience('accounts')
      .setSubject('u1')
      .setIssuedAt(now - 120)
      .setExpirationTime(now - 60)
      .setJti('expired-1')
      .sign(gatewayKey.privateKey);
    const answer = await callSubgraph('accounts', `Bearer ${expired}`);
    expect(answer.status).toBe(401);
    expect(answer.body.errors[0].extensions.code).toBe('TOKEN_EXPIRED');
  });

  it("refuses the client's own access token: 401 TOKEN_INVALID", async () => {
    const alice = stack.client();
    await alice.login('alice', 'wonderland');
    const answer = await callSubgraph('accounts', `Bearer ${alice.token}`);
    expect(answer.status).toBe(401);
    expect(answer.body.errors[0].extensions.code).toBe('TOKEN_INVALID');
  });

  it('refuses a token signed by a key the gateway does not have, even with its kid: 401 TOKEN_INVALID', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const answer = await callSubgraph('accounts', await mint('accounts', { key: { kid: gatewayKey.kid, privateKey } }));
    expect(answer.status).toBe(401);
    expect(answer.body.errors[0].extensions.code).toBe('TOKEN_INVALID');
  });

  it('refuses a token from another issuer: 401 TOKEN_INVALID', async () => {
    const answer = await callSubgraph('accounts', await mint('accounts', { issuer: 'http://evil.example' }));
    expect(answer.status).toBe(401);
    expect(answer.body.errors[0].extensions.code).toBe('TOKEN_INVALID');
  });
});

describe('client access tokens at the gateway', () => {
  it('are at+jwt, for the gateway, and not identity tokens', async () => {
    const alice = stack.client();
    const login = await alice.login('alice', 'wonderland');
    expect(login.body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'admin', refresh_token: expect.any(String) });
    expect(decodeProtectedHeader(alice.token!)).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    expect(decodeJwt(alice.token!)).toMatchObject({ sub: 'u1', aud: stack.env.GATEWAY_ISSUER });
  });

  it('a bad, forged or identity token is an HTTP 401 with a code, not a GraphQL 200', async () => {
    const cases: [string, string][] = [
      ['Bearer not-a-jwt', 'TOKEN_INVALID'],
      ['Basic YWxpY2U6d29uZGVybGFuZA==', 'TOKEN_INVALID'],
      [await mint('accounts'), 'TOKEN_INVALID'],
    ];
    for (const [authorization, code] of cases) {
      const result = await stack.client().query(ME, { headers: { authorization } });
      expect(result.status, authorization).toBe(401);
      expect(result.body.errors?.[0].extensions?.code).toBe(code);
    }
    // and the gateway still answers
    expect((await stack.client().query('{ products { id } }')).status).toBe(200);
  });

  it('an expired access token is 401 TOKEN_EXPIRED', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ scope: 'admin' })
      .setProtectedHeader({ alg: 'EdDSA', kid: gatewayKey.kid, typ: 'at+jwt' })
      .setIssuer(stack.env.GATEWAY_ISSUER)
      .setAudience(stack.env.GATEWAY_ISSUER)
      .setSubject('u1')
      .setIssuedAt(now - 1000)
      .setExpirationTime(now - 100)
      .setJti('expired-at')
      .sign(gatewayKey.privateKey);
    const result = await stack.client().query(ME, { headers: { authorization: `Bearer ${expired}` } });
    expect(result.status).toBe(401);
    expect(result.body.errors?.[0].extensions?.code).toBe('TOKEN_EXPIRED');
  });
});

describe('JWKS and keys', () => {
  it('publishes public keys only', async () => {
    const response = await fetch(`${stack.gatewayUrl}/.well-known/jwks.json`);
    const jwks = (await response.json()) as { keys: Record<string, string>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(Object.keys(jwks.keys[0]).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('keeps private key files readable by the owner only', () => {
    const dir = stack.env.GATEWAY_KEYS_DIR;
    for (const file of fs.readdirSync(dir)) {
      expect(fs.statSync(path.join(dir, file)).mode & 0o077, file).toBe(0);
    }
  });

  it('logs out in token mode with 204', async () => {
    const alice = stack.client();
    await alice.login('alice', 'wonderland');
    expect((await alice.logout()).status).toBe(204);
  });
});
