/**
 * The subgraph's verified-token cache: a repeated identity token is checked
 * once, never past its `exp`, refusals are never remembered, and the cost
 * header tells real signature checks from cache hits.
 */
import { createLocalJWKSet, decodeJwt, exportJWK, generateKeyPair, SignJWT, type JWTVerifyGetKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_COST_HEADER, AuthError, type Identity } from '@fedgw/subgraph-kit';
import { createIdentityTokenVerifier, mintIdentityToken, type SigningKey, VerifiedTokenCache } from '@fedgw/subgraph-kit/token';
import { mintAccessToken } from '../shared/auth-modes/token/access-token.js';
import { gatewayAccessTokens } from '../shared/auth-modes/token/access-token.js';
import { loadSigningKeys } from '../gateway/auth/signing-keys.js';
import { startStack, type Stack } from './helpers/stack.js';

const ISSUER = 'http://gateway.test';
const ALICE: Identity = { kind: 'user', id: 'u1', scopes: ['admin'] };

describe('VerifiedTokenCache with real identity tokens', () => {
  let key: SigningKey;
  let verifyIdentityToken: (token: string) => Promise<Identity | null>;
  let now = Date.now();
  let verifications = 0;
  const newCache = (maxEntries?: number) =>
    new VerifiedTokenCache(
      async (token: string) => {
        verifications++;
        const value = await verifyIdentityToken(token);
        return { value, expiresAt: decodeJwt(token).exp! * 1000 };
      },
      { maxEntries, now: () => now },
    );
  const mint = async (identity: Identity | null = ALICE, ttlSeconds = 60) =>
    (await mintIdentityToken(key, { issuer: ISSUER, audience: 'accounts', identity, ttlSeconds })).token;
  const lookup = (cache: VerifiedTokenCache<Identity | null>, token: string) => cache.get(token) ?? cache.verify(token);

  beforeAll(async () => {
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    key = { kid: 'k1', privateKey: pair.privateKey };
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'EdDSA' };
    verifyIdentityToken = createIdentityTokenVerifier({ keys: createLocalJWKSet({ keys: [jwk] }), issuer: ISSUER, audience: 'accounts' });
  });

  it('verifies a token once and answers the same identity from memory afterwards', async () => {
    const cache = newCache();
    const token = await mint();
    verifications = 0;
    expect(cache.get(token)).toBeUndefined();
    expect(await cache.verify(token)).toEqual(ALICE);
    expect(await cache.get(token)).toEqual(ALICE);
    expect(await lookup(cache, token)).toEqual(ALICE);
    expect(verifications).toBe(1);
  });

  it('lets concurrent requests with one new token share a single verification', async () => {
    const cache = newCache();
    const token = await mint();
    verifications = 0;
    const answers = await Promise.all(Array.from({ length: 5 }, () => lookup(cache, token)));
    expect(answers).toEqual(Array(5).fill(ALICE));
    expect(verifications).toBe(1);
  });

  it('forgets a token at its exp, and verification then refuses it', async () => {
    const cache = newCache();
    const token = await mint(ALICE, 10);
    await cache.verify(token);
    const exp = decodeJwt(token).exp! * 1000;
    now = exp - 1;
    expect(cache.get(token)).toBeDefined();
    now = exp;
    expect(cache.get(token)).toBeUndefined();
    expect(cache.size).toBe(0);
    now = Date.now();
  });

  it('never caches a refusal', async () => {
    const cache = newCache();
    const other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forged = (await mintIdentityToken({ kid: 'k1', privateKey: other.privateKey }, { issuer: ISSUER, audience: 'accounts', identity: ALICE, ttlSeconds: 60 })).token;
    verifications = 0;
    for (let i = 0; i < 2; i++) {
      const error = await lookup(cache, forged).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).code).toBe('TOKEN_INVALID');
    }
    expect(verifications).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('stays within its bound, dropping the oldest token first', async () => {
    const cache = newCache(2);
    const [a, b, c] = [await mint(), await mint(), await mint()];
    for (const token of [a, b, c]) await cache.verify(token);
    expect(cache.size).toBe(2);
    expect(cache.get(a)).toBeUndefined();
    expect(cache.get(b)).toBeDefined();
    expect(cache.get(c)).toBeDefined();
  });

  it('caches the anonymous answer (a gateway token without sub) too', async () => {
    const cache = newCache();
    const token = await mint(null);
    expect(await cache.verify(token)).toBeNull();
    expect(await cache.get(token)).toBeNull();
  });
});

describe('a token-mode subgraph on the wire', () => {
  let stack: Stack;
  let gatewayKey: SigningKey;
  beforeAll(async () => {
    stack = await startStack({ mode: 'token' });
    gatewayKey = (await loadSigningKeys(stack.env.GATEWAY_KEYS_DIR)).current;
  });
  afterAll(async () => {
    await stack?.close();
  });

  const call = async (token: string) => {
    const response = await fetch(`${stack.subgraphs.accounts.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    const body = (await response.json()) as any;
    return { status: response.status, body, cost: response.headers.get(AUTH_COST_HEADER) };
  };

  it('checks the signature on first sight only, and says so in x-auth-cost', async () => {
    const { token } = await mintIdentityToken(gatewayKey, { issuer: stack.env.GATEWAY_ISSUER, audience: 'accounts', identity: ALICE, ttlSeconds: 60 });
    const first = await call(token);
    const second = await call(token);
    expect(first.body.data.me).toEqual({ id: 'u1' });
    expect(second.body.data.me).toEqual({ id: 'u1' });
    expect(first.cost).toBe('verified=1;verify-cache-hits=0;store-reads=0');
    expect(second.cost).toBe('verified=0;verify-cache-hits=1;store-reads=0');
  });

  it('verifies (and refuses) a bad token every time', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const { token } = await mintIdentityToken({ kid: gatewayKey.kid, privateKey }, { issuer: stack.env.GATEWAY_ISSUER, audience: 'accounts', identity: ALICE, ttlSeconds: 60 });
    for (let i = 0; i < 2; i++) {
      const answer = await call(token);
      expect(answer.status).toBe(401);
      expect(answer.body.errors[0].extensions.code).toBe('TOKEN_INVALID');
      expect(answer.cost).toBe('verified=1;verify-cache-hits=0;store-reads=0');
    }
  });

  it('adds both up at the gateway: a repeated query is all cache hits', async () => {
    const alice = stack.client();
    await alice.login('alice', 'wonderland');
    await alice.query('{ me { id name } }');
    const again = (await alice.query('{ me { id name } }')).body as any;
    expect(again.extensions.authCost).toMatchObject({ subgraphFetches: 1, tokensSigned: 0, tokensVerified: 0, verifyCacheHits: 1 });
  });
});

describe("the gateway's own access tokens", () => {
  let key: SigningKey;
  let keys: JWTVerifyGetKey;
  let keyLookups = 0;
  beforeAll(async () => {
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    key = { kid: 'k1', privateKey: pair.privateKey };
    const local = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'EdDSA' }] });
    // Every signature check asks for the key: counting the asks counts the checks.
    keys = (header, token) => {
      keyLookups++;
      return local(header, token);
    };
  });

  it('are checked once per token, then answered from memory', async () => {
    const verifier = gatewayAccessTokens({ verificationKeys: keys, onRemoved: () => {} }, ISSUER);
    const token = await mintAccessToken(key, ALICE, { issuer: ISSUER, ttlSeconds: 900 });
    keyLookups = 0;
    for (let i = 0; i < 3; i++) expect((await verifier.verify(token)).identity).toEqual(ALICE);
    expect(keyLookups).toBe(1);
  });

  it('are checked again once a signing key stops being published', async () => {
    const removed: (() => void)[] = [];
    const verifier = gatewayAccessTokens({ verificationKeys: keys, onRemoved: (listener) => removed.push(listener) }, ISSUER);
    const token = await mintAccessToken(key, ALICE, { issuer: ISSUER, ttlSeconds: 900 });
    await verifier.verify(token);
    keyLookups = 0;
    for (const listener of removed) listener();
    expect((await verifier.verify(token)).identity).toEqual(ALICE);
    expect(keyLookups).toBe(1);
  });

  it('refuse an expired or forged token every time, never from memory', async () => {
    const verifier = gatewayAccessTokens({ verificationKeys: keys, onRemoved: () => {} }, ISSUER);
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ scope: '' })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(ISSUER)
      .setSubject('u1')
      .setIssuedAt(now - 1000)
      .setExpirationTime(now - 100)
      .setJti('expired')
      .sign(key.privateKey);
    const other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forged = await mintAccessToken({ kid: 'k1', privateKey: other.privateKey }, ALICE, { issuer: ISSUER, ttlSeconds: 900 });
    for (const [token, code] of [[expired, 'TOKEN_EXPIRED'], [forged, 'TOKEN_INVALID']] as const) {
      keyLookups = 0;
      for (let i = 0; i < 2; i++) {
        const error = await verifier.verify(token).catch((e: unknown) => e);
        expect((error as AuthError).code).toBe(code);
      }
      expect(keyLookups).toBe(2);
    }
  });
});
