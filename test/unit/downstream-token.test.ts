/**
 * The token formats of calls beyond the subgraphs
 * (@fedgw/subgraph-kit/token): the downstream token (its actor chain, its
 * `typ`), the client assertion, and the gateway's exchange grant
 * (shared/auth-modes/token/exchange-grant.ts) a hop further, where the
 * subject is itself a downstream token — on a real SQLite store.
 */
import path from 'node:path';
import fs from 'node:fs';
import { createLocalJWKSet, decodeJwt, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  actorChain,
  CLIENT_ASSERTION_TYPE,
  createDownstreamTokenVerifier,
  JWT_TOKEN_TYPE,
  mintDownstreamToken,
  mintIdentityToken,
  signClientAssertion,
  verifyClientAssertion,
  type SigningKey,
} from '@fedgw/subgraph-kit/token';
import { exchangeGrant } from '../../shared/auth-modes/token/exchange-grant.js';
import type { SigningKeys } from '../../shared/auth-modes/contract.js';
import { OAuthError } from '../../shared/errors.js';
import { openStore, type SharedStore } from '../../shared/store/index.js';
import { tempDir } from '../../scripts/lib/local.js';

const ISSUER = 'https://gateway.example.com';
const now = () => Math.floor(Date.now() / 1000);

async function keyPair(kid: string): Promise<{ key: SigningKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA');
  return { key: { kid, privateKey }, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA' } };
}

let gateway: { key: SigningKey; jwk: JWK };
let keys: ReturnType<typeof createLocalJWKSet>;

beforeAll(async () => {
  gateway = await keyPair('gw');
  keys = createLocalJWKSet({ keys: [gateway.jwk] });
});

describe('the downstream token', () => {
  const verifier = (allowedActors = ['orders']) => createDownstreamTokenVerifier({ keys, issuer: ISSUER, audience: 'payments', allowedActors });
  const mint = (actor: Parameters<typeof mintDownstreamToken>[1]['actor'], audience = 'payments') =>
    mintDownstreamToken(gateway.key, { issuer: ISSUER, audience, subject: { sub: 'u1', scopes: ['admin'] }, actor, expiresAt: now() + 30 }).then((minted) => minted.token);

  it('names the caller and the actors; only the outermost actor must be allowed', async () => {
    const caller = await verifier()(await mint({ sub: 'orders', act: { sub: 'checkout' } }));
    expect(caller).toEqual({ identity: { kind: 'user', id: 'u1', scopes: ['admin'] }, actors: ['orders', 'checkout'] });
    await expect(verifier()(await mint({ sub: 'checkout', act: { sub: 'orders' } }))).rejects.toMatchObject({ code: 'ACTOR_NOT_ALLOWED', status: 403 });
  });

  it('refuses another audience, an identity token, a malformed or too deep actor chain', async () => {
    await expect(verifier()(await mint({ sub: 'orders' }, 'ledger'))).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    const identity = (await mintIdentityToken(gateway.key, { issuer: ISSUER, audience: 'payments', identity: { kind: 'user', id: 'u1', scopes: [] }, ttlSeconds: 30 })).token;
    await expect(verifier()(identity)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    let deep: { sub: string; act?: unknown } = { sub: 'a' };
    for (let i = 0; i < 6; i++) deep = { sub: 'orders', act: deep };
    await expect(verifier()(await mint(deep as never))).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    const noSub = await new SignJWT({ act: { name: 'orders' } }).setProtectedHeader({ alg: 'EdDSA', kid: 'gw', typ: 'downstream+jwt' }).setIssuer(ISSUER).setSubject('u1').setAudience('payments').setIssuedAt().setExpirationTime('30s').setJti('j').sign(gateway.key.privateKey);
    await expect(verifier()(noSub)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    expect(actorChain({ sub: 'a', act: { sub: 'b', act: { sub: 'c' } } })).toEqual(['a', 'b', 'c']);
  });
});

describe('the client assertion', () => {
  it('is the client, for the gateway, short-lived', async () => {
    const orders = await keyPair('orders-key');
    const ordersKeys = createLocalJWKSet({ keys: [orders.jwk] });
    const assertion = await signClientAssertion(orders.key, { clientId: 'orders', audience: ISSUER });
    await expect(verifyClientAssertion(assertion, { keys: ordersKeys, clientId: 'orders', audience: ISSUER })).resolves.toMatchObject({ jti: expect.any(String) });
    await expect(verifyClientAssertion(assertion, { keys: ordersKeys, clientId: 'reviews', audience: ISSUER })).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    await expect(verifyClientAssertion(assertion, { keys: ordersKeys, clientId: 'orders', audience: 'https://other.example.com' })).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    const longLived = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: 'orders-key', typ: 'client-authentication+jwt' }).setIssuer('orders').setSubject('orders').setAudience(ISSUER).setIssuedAt().setExpirationTime('1h').setJti('j').sign(orders.key.privateKey);
    await expect(verifyClientAssertion(longLived, { keys: ordersKeys, clientId: 'orders', audience: ISSUER })).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    // An identity token can never pass as one: another typ.
    const identity = (await mintIdentityToken(orders.key, { issuer: 'orders', audience: ISSUER, identity: { kind: 'user', id: 'orders', scopes: [] }, ttlSeconds: 30 })).token;
    await expect(verifyClientAssertion(identity, { keys: ordersKeys, clientId: 'orders', audience: ISSUER })).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });
});

describe('the exchange grant, a hop further', () => {
  let dir: string;
  let store: SharedStore;
  let payments: { key: SigningKey; jwk: JWK };
  let orders: { key: SigningKey; jwk: JWK };

  beforeAll(async () => {
    dir = tempDir('fag-exchange-');
    store = await openStore({ kind: 'sqlite', path: path.join(dir, 'store.db') });
    payments = await keyPair('payments-key');
    orders = await keyPair('orders-key');
  });
  afterAll(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const grant = () =>
    exchangeGrant({
      issuer: ISSUER,
      keys: { current: gateway.key, verificationKeys: keys } as unknown as SigningKeys,
      // payments may itself call ledger (`"kind": "service"` in the list): a client of the exchange, as orders is.
      clients: {
        find: (name) => {
          if (name === 'payments') return { name, kind: 'service', downstream: ['ledger'], keys: createLocalJWKSet({ keys: [payments.jwk] }) };
          if (name === 'orders') return { name, kind: 'subgraph', downstream: ['payments'], keys: createLocalJWKSet({ keys: [orders.jwk] }) };
          return undefined;
        },
      },
      revocations: { isRevoked: (_jti, sid) => sid === 'revoked' },
      store,
      ttlSeconds: 60,
    });
  const params = async (subject: string, client = { id: 'payments', key: () => payments.key, audience: 'ledger' }) => ({
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    subject_token: subject,
    subject_token_type: JWT_TOKEN_TYPE,
    audience: client.audience,
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: await signClientAssertion(client.key(), { clientId: client.id, audience: ISSUER }),
  });
  const asOrders = { id: 'orders', key: () => orders.key, audience: 'payments' };
  const invalidGrant = (error: unknown) => error instanceof OAuthError && error.code === 'invalid_grant';
  const downstreamFor = (sid?: string) =>
    mintDownstreamToken(gateway.key, { issuer: ISSUER, audience: 'payments', subject: { sub: 'u1', scopes: ['admin'], ...(sid ? { sid } : {}) }, actor: { sub: 'orders' }, expiresAt: now() + 20 }).then((minted) => minted.token);

  it('nests the previous actor, keeps the subject, and never outlives it', async () => {
    const subject = await downstreamFor();
    const answer = await grant()(await params(subject), undefined as never);
    const claims = decodeJwt(answer.access_token);
    expect(claims).toMatchObject({ sub: 'u1', aud: 'ledger', scope: 'admin', act: { sub: 'payments', act: { sub: 'orders' } } });
    expect(claims.exp).toBeLessThanOrEqual(decodeJwt(subject).exp!);
  });

  it('refuses a subject of a revoked sign-in: invalid_grant', async () => {
    await expect(grant()(await params(await downstreamFor('revoked')), undefined as never)).rejects.toSatisfy(invalidGrant);
  });

  it('takes from each kind of client only the token that kind receives: invalid_grant otherwise', async () => {
    // A service never holds an identity token (the gateway mints those for subgraphs only) ...
    const identityForPayments = (await mintIdentityToken(gateway.key, { issuer: ISSUER, audience: 'payments', identity: { kind: 'user', id: 'u1', scopes: [] }, ttlSeconds: 30 })).token;
    await expect(grant()(await params(identityForPayments), undefined as never)).rejects.toSatisfy(invalidGrant);
    // ... nor a subgraph a downstream token (subgraphs refuse them).
    const downstreamForOrders = (await mintDownstreamToken(gateway.key, { issuer: ISSUER, audience: 'orders', subject: { sub: 'u1', scopes: [] }, actor: { sub: 'checkout' }, expiresAt: now() + 20 })).token;
    await expect(grant()(await params(downstreamForOrders, asOrders), undefined as never)).rejects.toSatisfy(invalidGrant);
    // What each does receive is exchanged.
    const identityForOrders = (await mintIdentityToken(gateway.key, { issuer: ISSUER, audience: 'orders', identity: { kind: 'user', id: 'u1', scopes: [] }, ttlSeconds: 30 })).token;
    expect(decodeJwt((await grant()(await params(identityForOrders, asOrders), undefined as never)).access_token)).toMatchObject({ aud: 'payments', act: { sub: 'orders' } });
  });
});
