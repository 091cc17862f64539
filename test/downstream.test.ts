/**
 * Beyond the subgraphs: the orders subgraph calls the payments service (not
 * a subgraph) on its caller's behalf — a third hop — as real processes
 * (`npm start`'s launcher), in every mode variant. Token mode: orders
 * exchanges the identity token it received for a downstream token at the
 * gateway (RFC 8693), authenticated by its own key (RFC 7523); payments
 * verifies it with the gateway's JWKS. Session mode: orders forwards the
 * session id, payments reads the session from the shared store.
 *
 * Every refusal of the issue has a case: an exchange without the subgraph's
 * own credential, for an audience it may not call, with a subject for
 * another audience, expired, revoked, asking for more scope; a downstream
 * token shown to a subgraph, to the gateway, to another service; an identity
 * token or a client's access token shown to payments; a destroyed session.
 *
 * A hop further: payments, started with LEDGER_URL and listed as a
 * `"kind": "service"` client, calls a second downstream service (the ledger
 * fixture, started here) on the same caller's behalf — exchanging the
 * downstream token it received (the ledger sees `act` nested: payments, then
 * orders), or forwarding the session id.
 */
import type { IncomingHttpHeaders } from 'node:http';
import path from 'node:path';
import { decodeJwt, decodeProtectedHeader, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDownstreamKit } from '@fedgw/subgraph-kit';
import {
  CLIENT_ASSERTION_TYPE,
  JWT_TOKEN_TYPE,
  loadWorkloadKey,
  mintDownstreamToken,
  mintIdentityToken,
  signClientAssertion,
  TOKEN_EXCHANGE_GRANT,
  type Actor,
  type SigningKey,
} from '@fedgw/subgraph-kit/token';
import { loadSigningKeys } from '../gateway/auth/signing-keys.js';
import { freePort } from '../scripts/lib/local.js';
import { loadDownstreamConfig } from '../shared/config/downstream.js';
import { startDownstreamService, type RunningDownstreamService } from '../shared/downstream-service.js';
import { PAYMENT_QUERY } from '../subgraphs/demo.js';
import { ledgerService } from './fixtures/downstream/ledger.js';
import { Client, send } from './helpers/http.js';
import { modeVariants, modeVariantsWithBinding } from './helpers/modes.js';
import { launchStack, LogCapture, type Launched } from './helpers/stack.js';

const JWT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/;

describe.each(modeVariantsWithBinding())('gateway → orders → payments, $name mode', (variant) => {
  let stack: Launched;
  let paymentsUrl: string;

  beforeAll(async () => {
    stack = await launchStack(variant.mode, variant.env);
    paymentsUrl = `http://127.0.0.1:${stack.ports.at(-1)}`;
  }, 60_000);
  afterAll(() => {
    stack?.launcher.kill('SIGINT');
    stack?.cleanup();
  });

  it("answers alice's payment through all three levels, and counts the hop", async () => {
    const alice = await signedIn(stack, 'alice', 'wonderland');
    const first = await alice.query(PAYMENT_QUERY);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data?.me).toEqual({ id: 'u1', orders: [{ id: 'o1', payment: { status: 'paid', last4: '4242' } }] });
    expect(first.body.extensions?.authCost).toMatchObject({ downstreamCalls: 1 });
    const again = await alice.query(PAYMENT_QUERY);
    if (variant.mode === 'token') {
      // One exchange per identity token and hop; payments checks the exchanged token once.
      expect(first.body.extensions?.authCost).toMatchObject({ tokensExchanged: 1, exchangeCacheHits: 0, storeReads: 0 });
      expect(again.body.extensions?.authCost).toMatchObject({ tokensExchanged: 0, exchangeCacheHits: 1, tokensVerified: 0, storeReads: 0 });
    } else {
      // The gateway, accounts, orders and payments each read the session.
      expect(again.body.extensions?.authCost).toMatchObject({ tokensExchanged: 0, storeReads: 4, downstreamCalls: 1 });
    }
  });

  it('gives bob his own payment, never alice’s', async () => {
    const bob = await signedIn(stack, 'bob', 'builder');
    const result = await bob.query(PAYMENT_QUERY);
    expect(result.body.data?.me).toEqual({ id: 'u2', orders: [{ id: 'o2', payment: { status: 'pending', last4: '1881' } }] });
    // Asking payments for alice's order as bob, with what orders would send for him: 403.
    const headers: Record<string, string> = variant.mode === 'token' ? { authorization: `Bearer ${await exchangedFor(stack, 'u2', [])}` } : { 'x-session-id': sessionIdOf(bob) };
    const answer = await send(`${paymentsUrl}/payments/o1`, { headers });
    expect([answer.status, answer.code]).toEqual([403, 'FORBIDDEN']);
    // An order that does not exist answers the same: no way to probe which do.
    expect((await send(`${paymentsUrl}/payments/o999`, { headers })).code).toBe('FORBIDDEN');
  });

  it('answers anonymous callers null with UNAUTHORIZED_FIELD_OR_TYPE, and payments refuses them', async () => {
    const result = await new Client(stack.gatewayUrl).query(PAYMENT_QUERY);
    expect(result.body.data?.me).toBeNull();
    expect(result.body.errors?.[0]?.extensions?.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
    const answer = await send(`${paymentsUrl}/payments/o1`);
    expect(answer.status).toBe(401);
    expect(answer.code).toBe(variant.mode === 'token' ? 'TOKEN_MISSING' : 'AUTHENTICATION_REQUIRED');
  });

  it('follows one request through gateway, orders and payments with the same ids, and logs no token', async () => {
    const alice = await signedIn(stack, 'alice', 'wonderland');
    const result = await alice.query(PAYMENT_QUERY);
    const requestId = result.headers.get('x-request-id')!;
    // A fresh sign-in is a fresh identity token: in token mode orders exchanges it, under the same request id.
    const expected = ['accounts /graphql', 'gateway /graphql', 'orders /graphql', 'payments /payments/o1', ...(variant.mode === 'token' ? ['gateway /auth/token'] : [])].sort();
    await expect.poll(() => linesOf(stack, requestId).map((line) => `${line.service} ${line.path}`).sort(), { timeout: 5000 }).toEqual(expected);
    const lines = linesOf(stack, requestId);
    expect(new Set(lines.map((line) => line.traceId)).size).toBe(1);
    const payments = lines.find((line) => line.service === 'payments')!;
    expect(payments).toMatchObject({ path: '/payments/o1', status: 200, user: 'u1' });
    if (variant.mode === 'token') expect(payments.act).toEqual(['orders']);
    for (const line of stack.output().split('\n').filter((text) => text.startsWith('[payments'))) expect(line).not.toMatch(JWT);
  });

  if (variant.mode === 'session') {
    it('treats a destroyed session as anonymous at payments too', async () => {
      const alice = await signedIn(stack, 'alice', 'wonderland');
      const sid = sessionIdOf(alice);
      expect((await send(`${paymentsUrl}/payments/o1`, { headers: { 'x-session-id': sid } })).status).toBe(200);
      await alice.logout();
      const answer = await send(`${paymentsUrl}/payments/o1`, { headers: { 'x-session-id': sid } });
      expect([answer.status, answer.code]).toEqual([401, 'AUTHENTICATION_REQUIRED']);
    });
  }

  if (variant.mode === 'token') describe('token exchange refusals', () => exchangeRefusals(() => stack, () => paymentsUrl));
});

describe.each(modeVariants())('a hop further: gateway → orders → payments → ledger, $name mode', (variant) => {
  let stack: Launched;
  let ledgerPort: number;
  let ledger: RunningDownstreamService | undefined;
  const seen: IncomingHttpHeaders[] = [];
  const logs = new LogCapture();

  /** The ledger fixture, in this process, on its port, taking calls from `actors`. */
  const startLedger = async (actors: string[]) => {
    const gateway = issuerOf(stack);
    const env = {
      AUTH_MODE: variant.mode,
      GATEWAY_ISSUER: gateway,
      GATEWAY_JWKS_URL: `${gateway}/.well-known/jwks.json`,
      SESSION_STORE: variant.env.SESSION_STORE ?? `sqlite:${path.join(stack.dir, 'sessions.db')}`,
      ALLOWED_ACTORS: actors.join(','),
    };
    ledger = await startDownstreamService(ledgerService(seen), loadDownstreamConfig('ledger', ledgerPort, [], env), { logger: logs.logger('ledger') });
  };

  beforeAll(async () => {
    ledgerPort = await freePort();
    // payments calls the ledger because LEDGER_URL is set, and may because the list says so.
    stack = await launchStack(variant.mode, { ...variant.env, LEDGER_URL: `http://127.0.0.1:${ledgerPort}` }, { paymentsCalls: ['ledger'] });
    await startLedger(['payments']);
  }, 60_000);
  afterAll(async () => {
    await ledger?.close();
    stack?.launcher.kill('SIGINT');
    stack?.cleanup();
  });

  it("answers alice's payment with the ledger's status, four levels deep, the caller carried at each hop", async () => {
    const alice = await signedIn(stack, 'alice', 'wonderland');
    const first = await alice.query(PAYMENT_QUERY);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data?.me).toEqual({ id: 'u1', orders: [{ id: 'o1', payment: { status: 'settled', last4: '4242' } }] });
    const carried = seen.at(-1)!;
    const again = await alice.query(PAYMENT_QUERY);
    expect(again.body.extensions?.authCost).toMatchObject({ downstreamCalls: 2 });
    if (variant.mode === 'token') {
      // payments exchanged the downstream token it received: the ledger's names payments as the caller, acting for orders.
      const token = String(carried.authorization).replace(/^Bearer /, '');
      expect(decodeProtectedHeader(token).typ).toBe('downstream+jwt');
      expect(decodeJwt(token)).toMatchObject({ aud: 'ledger', sub: 'u1', act: { sub: 'payments', act: { sub: 'orders' } } });
      expect(first.body.extensions?.authCost).toMatchObject({ tokensExchanged: 2, exchangeCacheHits: 0, storeReads: 0 });
      expect(again.body.extensions?.authCost).toMatchObject({ tokensExchanged: 0, exchangeCacheHits: 2, storeReads: 0 });
      expect((await send(`http://127.0.0.1:${stack.ports.at(-1)}/.well-known/jwks.json`)).body.keys).toHaveLength(1);
    } else {
      // The same session id, forwarded again; no exchange anywhere. The gateway, accounts, orders, payments and the ledger each read it.
      expect(carried['x-session-id']).toBe(sessionIdOf(alice));
      expect(carried.authorization).toBeUndefined();
      expect(again.body.extensions?.authCost).toMatchObject({ tokensExchanged: 0, storeReads: 5 });
    }
  });

  it("gives bob the ledger's status of his own order, never alice's", async () => {
    const bob = await signedIn(stack, 'bob', 'builder');
    const result = await bob.query(PAYMENT_QUERY);
    expect(result.body.data?.me).toEqual({ id: 'u2', orders: [{ id: 'o2', payment: { status: 'awaiting funds', last4: '1881' } }] });
    const headers: Record<string, string> = variant.mode === 'token' ? { authorization: String(seen.at(-1)!.authorization) } : { 'x-session-id': sessionIdOf(bob) };
    const answer = await send(`http://127.0.0.1:${ledgerPort}/ledger/o1`, { headers });
    expect([answer.status, answer.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('logs the request under one id at every hop, the ledger the actor chain as names only, and no token', async () => {
    const alice = await signedIn(stack, 'alice', 'wonderland');
    const result = await alice.query(PAYMENT_QUERY);
    const requestId = result.headers.get('x-request-id')!;
    const atLedger = () => logs.lines().filter((line) => line.reqId === requestId && line.msg === 'request completed');
    await expect.poll(() => atLedger().length, { timeout: 5000 }).toBe(1);
    await expect.poll(() => linesOf(stack, requestId).some((line) => line.service === 'payments'), { timeout: 5000 }).toBe(true);
    const payments = linesOf(stack, requestId).find((line) => line.service === 'payments')!;
    expect(atLedger()[0]).toMatchObject({ service: 'ledger', path: '/ledger/o1', status: 200, user: 'u1', traceId: payments.traceId });
    if (variant.mode === 'token') {
      expect(payments.act).toEqual(['orders']);
      expect(atLedger()[0].act).toEqual(['payments', 'orders']);
    }
    for (const line of logs.raw) expect(line).not.toMatch(JWT);
    for (const line of stack.output().split('\n').filter((text) => text.startsWith('[payments'))) expect(line).not.toMatch(JWT);
  });

  if (variant.mode === 'token') {
    it('the ledger takes its outermost actor only: acting for payments is not calling as payments', async () => {
      const gatewayKey = (await loadSigningKeys(path.join(stack.dir, 'keys'))).current;
      const tokenActing = async (actor: Actor) =>
        (await mintDownstreamToken(gatewayKey, { issuer: issuerOf(stack), audience: 'ledger', subject: { sub: 'u1', scopes: [] }, actor, expiresAt: Math.floor(Date.now() / 1000) + 30 })).token;
      const at = async (actor: Actor) => {
        const answer = await send(`http://127.0.0.1:${ledgerPort}/ledger/o1`, { headers: { authorization: `Bearer ${await tokenActing(actor)}` } });
        return [answer.status, answer.code ?? null];
      };
      expect(await at({ sub: 'payments', act: { sub: 'orders' } })).toEqual([200, null]);
      expect(await at({ sub: 'orders', act: { sub: 'payments' } })).toEqual([403, 'ACTOR_NOT_ALLOWED']);
      expect(await at({ sub: 'orders' })).toEqual([403, 'ACTOR_NOT_ALLOWED']);
    });

    it('payments exchanges only the downstream token it received, and only for what the list lets it call', async () => {
      const gatewayKey = (await loadSigningKeys(path.join(stack.dir, 'keys'))).current;
      const issuer = issuerOf(stack);
      const payments = { id: 'payments', key: await serviceKey(stack, 'payments') };
      const received = (await mintDownstreamToken(gatewayKey, { issuer, audience: 'payments', subject: { sub: 'u1', scopes: ['admin'] }, actor: { sub: 'orders' }, expiresAt: Math.floor(Date.now() / 1000) + 30 })).token;
      const granted = await exchangeAt(stack, received, payments, { audience: 'ledger' });
      expect(granted.status, JSON.stringify(granted.body)).toBe(200);
      expect(decodeJwt(granted.body.access_token)).toMatchObject({ aud: 'ledger', sub: 'u1', scope: 'admin', act: { sub: 'payments', act: { sub: 'orders' } } });
      const oauthError = (answer: { status: number; body: any }) => [answer.status, answer.body?.error];
      // Not a service its entry lists; nor may orders skip a hop and call the ledger itself.
      expect(oauthError(await exchangeAt(stack, received, payments, { audience: 'audit' }))).toEqual([400, 'invalid_target']);
      const ordersSubject = (await mintIdentityToken(gatewayKey, { issuer, audience: 'orders', identity: { kind: 'user', id: 'u1', scopes: [] }, ttlSeconds: 30 })).token;
      expect(oauthError(await exchangeAt(stack, ordersSubject, { id: 'orders', key: await serviceKey(stack, 'orders') }, { audience: 'ledger' }))).toEqual([400, 'invalid_target']);
      // A service never holds an identity token, and the token it trades must be addressed to it.
      const identityForPayments = (await mintIdentityToken(gatewayKey, { issuer, audience: 'payments', identity: { kind: 'user', id: 'u1', scopes: [] }, ttlSeconds: 30 })).token;
      expect(oauthError(await exchangeAt(stack, identityForPayments, payments, { audience: 'ledger' }))).toEqual([400, 'invalid_grant']);
      const forLedger = granted.body.access_token as string;
      expect(oauthError(await exchangeAt(stack, forLedger, payments, { audience: 'ledger' }))).toEqual([400, 'invalid_grant']);
    });

    it("answers the field null with the ledger's ACTOR_NOT_ALLOWED when the ledger does not take calls from payments", async () => {
      await ledger!.close();
      await startLedger(['orders']);
      try {
        const alice = await signedIn(stack, 'alice', 'wonderland');
        const result = await alice.query(PAYMENT_QUERY);
        expect(result.body.data?.me?.orders?.[0]?.payment).toBeNull();
        expect(result.body.errors?.map((error) => error.extensions?.code)).toEqual(['ACTOR_NOT_ALLOWED']);
      } finally {
        await ledger!.close();
        await startLedger(['payments']);
      }
    });
  }
});

/** The cases that only token mode has: each refused with its RFC 6749 / RFC 8693 code, or the service's. */
function exchangeRefusals(launched: () => Launched, payments: () => string) {
  let gatewayKey: SigningKey;
  let ordersKey: SigningKey;
  let issuer: string;
  const tokenUrl = () => `${launched().gatewayUrl}/auth/token`;

  beforeAll(async () => {
    const stack = launched();
    issuer = issuerOf(stack);
    gatewayKey = (await loadSigningKeys(path.join(stack.dir, 'keys'))).current;
    ordersKey = await serviceKey(stack, 'orders');
  });

  const identityToken = (sub: string, scopes: string[], options: { audience?: string; ttlSeconds?: number; sid?: string } = {}) =>
    mintIdentityToken(gatewayKey, { issuer, audience: options.audience ?? 'orders', identity: { kind: 'user', id: sub, scopes }, ttlSeconds: options.ttlSeconds ?? 60, ...(options.sid ? { sid: options.sid } : {}) }).then((minted) => minted.token);

  const exchange = (subject: string, extra: Record<string, string> = {}, client: ExchangeClient = { id: 'orders', key: ordersKey }) => exchangeAt(launched(), subject, client, extra);
  const oauthError = (answer: { status: number; body: any }) => [answer.status, answer.body?.error];

  it('issues a downstream token: for payments, acting as orders, no longer-lived than its subject, with the subject’s scopes', async () => {
    const subject = await identityToken('u1', ['admin'], { ttlSeconds: 40 });
    const answer = await exchange(subject);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({ issued_token_type: JWT_TOKEN_TYPE, token_type: 'Bearer', scope: 'admin' });
    const claims = decodeJwt(answer.body.access_token);
    expect(decodeProtectedHeader(answer.body.access_token).typ).toBe('downstream+jwt');
    expect(claims).toMatchObject({ iss: issuer, sub: 'u1', aud: 'payments', scope: 'admin', act: { sub: 'orders' } });
    expect(claims.exp).toBeLessThanOrEqual(decodeJwt(subject).exp!);
    expect(answer.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a captured identity token without the subgraph’s own credential: invalid_client', async () => {
    const subject = await identityToken('u1', ['admin']);
    expect(oauthError(await exchange(subject, {}, null))).toEqual([401, 'invalid_client']);
    const stranger = await generateKeyPair('EdDSA');
    const impostor = { id: 'orders', key: { kid: 'impostor', privateKey: stranger.privateKey } };
    expect(oauthError(await exchange(subject, {}, impostor))).toEqual([401, 'invalid_client']);
  });

  it('takes each client assertion once: a replay is invalid_client', async () => {
    const subject = await identityToken('u1', []);
    const assertion = await signClientAssertion(ordersKey, { clientId: 'orders', audience: issuer });
    const form = { grant_type: TOKEN_EXCHANGE_GRANT, subject_token: subject, subject_token_type: JWT_TOKEN_TYPE, audience: 'payments', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion };
    const post = () => send(tokenUrl(), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
    expect((await post()).status).toBe(200);
    expect(oauthError(await post())).toEqual([401, 'invalid_client']);
  });

  it('refuses an audience the subgraph may not call (invalid_target), and a subgraph that calls nothing (unauthorized_client)', async () => {
    const subject = await identityToken('u1', []);
    expect(oauthError(await exchange(subject, { audience: 'ledger' }))).toEqual([400, 'invalid_target']);
    const reviewsSubject = await identityToken('u1', [], { audience: 'reviews' });
    expect(oauthError(await exchange(reviewsSubject, {}, { id: 'reviews', key: ordersKey }))).toEqual([400, 'unauthorized_client']);
  });

  it('refuses a subject token for another audience, an expired one, and one of a revoked sign-in: invalid_grant', async () => {
    expect(oauthError(await exchange(await identityToken('u1', [], { audience: 'reviews' })))).toEqual([400, 'invalid_grant']);
    expect(oauthError(await exchange(await identityToken('u1', [], { ttlSeconds: -30 })))).toEqual([400, 'invalid_grant']);
    const alice = new Client(launched().gatewayUrl);
    await alice.login('alice', 'wonderland');
    const sid = String(decodeJwt(alice.token!).sid);
    const subject = await identityToken('u1', ['admin'], { sid });
    expect((await exchange(subject)).status).toBe(200);
    expect((await alice.logout()).status).toBe(204);
    await expect.poll(async () => oauthError(await exchange(subject)), { timeout: 5000 }).toEqual([400, 'invalid_grant']);
  });

  it('refuses a scope the caller does not hold: invalid_scope', async () => {
    expect(oauthError(await exchange(await identityToken('u2', []), { scope: 'admin' }))).toEqual([400, 'invalid_scope']);
  });

  it('issues a narrowed scope, a subset of the subject’s, and only that', async () => {
    const answer = await exchange(await identityToken('u1', ['admin', 'reports', 'billing']), { scope: 'reports admin' });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.scope.split(' ').sort()).toEqual(['admin', 'reports']);
    expect(String(decodeJwt(answer.body.access_token).scope).split(' ').sort()).toEqual(['admin', 'reports']);
  });

  it('payments refuses a downstream token with a forged signature, another issuer, or past its end, each with its code', async () => {
    const claims = { audience: 'payments', subject: { sub: 'u1', scopes: [] }, actor: { sub: 'orders' } };
    const soon = Math.floor(Date.now() / 1000) + 30;
    const stranger = await generateKeyPair('EdDSA');
    // Another key's signature under the gateway's own kid.
    const forged = await mintDownstreamToken({ kid: gatewayKey.kid, privateKey: stranger.privateKey }, { ...claims, issuer, expiresAt: soon });
    const otherIssuer = await mintDownstreamToken(gatewayKey, { ...claims, issuer: 'https://issuer.example.invalid', expiresAt: soon });
    const expired = await mintDownstreamToken(gatewayKey, { ...claims, issuer, expiresAt: Math.floor(Date.now() / 1000) - 30 });
    const at = async (token: string) => {
      const answer = await send(`${payments()}/payments/o1`, { headers: { authorization: `Bearer ${token}` } });
      return [answer.status, answer.code];
    };
    expect(await at(forged.token)).toEqual([401, 'TOKEN_INVALID']);
    expect(await at(otherIssuer.token)).toEqual([401, 'TOKEN_INVALID']);
    expect(await at(expired.token)).toEqual([401, 'TOKEN_EXPIRED']);
  });

  it('a downstream token works only at its service: a subgraph, the gateway and another service refuse it', async () => {
    const downstream = (await exchange(await identityToken('u1', ['admin']))).body.access_token as string;
    const bearer = { authorization: `Bearer ${downstream}` };
    expect((await send(`${payments()}/payments/o1`, { headers: bearer })).status).toBe(200);
    const stack = launched();
    const atOrders = await send(`http://127.0.0.1:${stack.ports[4]}/graphql`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect([atOrders.status, atOrders.code]).toEqual([401, 'TOKEN_INVALID']);
    const atGateway = await send(`${stack.gatewayUrl}/graphql`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { id } }' }) });
    expect([atGateway.status, atGateway.code]).toEqual([401, 'TOKEN_INVALID']);
    const ledger = await createDownstreamKit({ name: 'ledger', gatewayJwksUrl: `${stack.gatewayUrl}/.well-known/jwks.json`, gatewayIssuer: issuer }, { allowedActors: ['orders'] });
    await expect(ledger.identify(bearer)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    await ledger.close();
  });

  it('payments refuses an identity token, a client’s access token, and an actor it does not take calls from', async () => {
    const identity = await identityToken('u1', ['admin'], { audience: 'payments' });
    expect((await send(`${payments()}/payments/o1`, { headers: { authorization: `Bearer ${identity}` } })).code).toBe('TOKEN_INVALID');
    const alice = new Client(launched().gatewayUrl);
    await alice.login('alice', 'wonderland');
    expect((await send(`${payments()}/payments/o1`, { headers: { authorization: `Bearer ${alice.token}` } })).code).toBe('TOKEN_INVALID');
    const byReviews = await mintDownstreamToken(gatewayKey, { issuer, audience: 'payments', subject: { sub: 'u1', scopes: [] }, actor: { sub: 'reviews' }, expiresAt: Math.floor(Date.now() / 1000) + 30 });
    const answer = await send(`${payments()}/payments/o1`, { headers: { authorization: `Bearer ${byReviews.token}` } });
    expect([answer.status, answer.code]).toEqual([403, 'ACTOR_NOT_ALLOWED']);
  });
}

/** A client of the launched gateway, signed in. */
async function signedIn(stack: Launched, username: string, password: string): Promise<Client> {
  const client = new Client(stack.gatewayUrl);
  expect((await client.login(username, password)).status).toBe(200);
  return client;
}

type ExchangeClient = { id: string; key: SigningKey } | null;

/** The launched gateway's issuer (the launcher's default, GATEWAY_ISSUER unset). */
const issuerOf = (stack: Launched) => `http://localhost:${stack.ports[0]}`;

/** POST /auth/token: an exchange of `subject` (for payments, unless `extra` says otherwise) with `client`'s assertion (none: null). */
async function exchangeAt(stack: Launched, subject: string, client: ExchangeClient, extra: Record<string, string> = {}) {
  const form: Record<string, string> = { grant_type: TOKEN_EXCHANGE_GRANT, subject_token: subject, subject_token_type: JWT_TOKEN_TYPE, audience: 'payments', ...extra };
  if (client) Object.assign(form, { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await signClientAssertion(client.key, { clientId: client.id, audience: issuerOf(stack) }) });
  return send(`${stack.gatewayUrl}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
}

/** A launched service's own key (made at its start; the test holds it, as only that service should). */
const serviceKey = (stack: Launched, name: string) => loadWorkloadKey(path.join(stack.dir, 'subgraph-keys', `${name}.pem`), 'SUBGRAPH_KEY_FILE');

/** A downstream token for `sub`, exchanged at the gateway as orders would (token mode). */
async function exchangedFor(stack: Launched, sub: string, scopes: string[]): Promise<string> {
  const gatewayKey = (await loadSigningKeys(path.join(stack.dir, 'keys'))).current;
  const subject = (await mintIdentityToken(gatewayKey, { issuer: issuerOf(stack), audience: 'orders', identity: { kind: 'user', id: sub, scopes }, ttlSeconds: 60 })).token;
  const answer = await exchangeAt(stack, subject, { id: 'orders', key: await serviceKey(stack, 'orders') });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.access_token;
}

/** The session id inside a client's signed `fedgw.sid` cookie (`s:<id>.<signature>`). */
function sessionIdOf(client: Client): string {
  const value = /fedgw\.sid=([^;]+)/.exec(client.cookie ?? '')![1];
  return decodeURIComponent(value).slice(2).split('.')[0];
}

/** The JSON log lines of request `requestId`, from every process of the launch. */
function linesOf(stack: Launched, requestId: string): Record<string, any>[] {
  return stack
    .output()
    .split('\n')
    .map((line) => line.replace(/^\[[^\]]+\] /, ''))
    .filter((line) => line.startsWith('{') && line.includes(requestId))
    .map((line) => JSON.parse(line) as Record<string, any>)
    .filter((line) => line.reqId === requestId && line.msg === 'request completed');
}
