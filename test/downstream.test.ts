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
 */
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
  type SigningKey,
} from '@fedgw/subgraph-kit/token';
import { loadSigningKeys } from '../gateway/auth/signing-keys.js';
import { PAYMENT_QUERY } from '../subgraphs/demo.js';
import { Client, send } from './helpers/http.js';
import { modeVariantsWithBinding } from './helpers/modes.js';
import { launchStack, type Launched } from './helpers/stack.js';

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

  const signedIn = async (username: string, password: string) => {
    const client = new Client(stack.gatewayUrl);
    expect((await client.login(username, password)).status).toBe(200);
    return client;
  };

  it("answers alice's payment through all three levels, and counts the hop", async () => {
    const alice = await signedIn('alice', 'wonderland');
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
    const bob = await signedIn('bob', 'builder');
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
    const alice = await signedIn('alice', 'wonderland');
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
      const alice = await signedIn('alice', 'wonderland');
      const sid = sessionIdOf(alice);
      expect((await send(`${paymentsUrl}/payments/o1`, { headers: { 'x-session-id': sid } })).status).toBe(200);
      await alice.logout();
      const answer = await send(`${paymentsUrl}/payments/o1`, { headers: { 'x-session-id': sid } });
      expect([answer.status, answer.code]).toEqual([401, 'AUTHENTICATION_REQUIRED']);
    });
  }

  if (variant.mode === 'token') describe('token exchange refusals', () => exchangeRefusals(() => stack, () => paymentsUrl));
});

/** The cases that only token mode has: each refused with its RFC 6749 / RFC 8693 code, or the service's. */
function exchangeRefusals(launched: () => Launched, payments: () => string) {
  let gatewayKey: SigningKey;
  let ordersKey: SigningKey;
  let issuer: string;
  const tokenUrl = () => `${launched().gatewayUrl}/auth/token`;

  beforeAll(async () => {
    const stack = launched();
    issuer = `http://localhost:${stack.ports[0]}`;
    gatewayKey = (await loadSigningKeys(path.join(stack.dir, 'keys'))).current;
    // The launcher's orders made its key at start; the test holds it, as only orders should.
    ordersKey = await loadWorkloadKey(path.join(stack.dir, 'subgraph-key.pem'), 'SUBGRAPH_KEY_FILE');
  });

  const identityToken = (sub: string, scopes: string[], options: { audience?: string; ttlSeconds?: number; sid?: string } = {}) =>
    mintIdentityToken(gatewayKey, { issuer, audience: options.audience ?? 'orders', identity: { kind: 'user', id: sub, scopes }, ttlSeconds: options.ttlSeconds ?? 60, ...(options.sid ? { sid: options.sid } : {}) }).then((minted) => minted.token);

  const exchange = async (subject: string, extra: Record<string, string> = {}, client: { id: string; key: SigningKey } | null = { id: 'orders', key: ordersKey }) => {
    const form: Record<string, string> = { grant_type: TOKEN_EXCHANGE_GRANT, subject_token: subject, subject_token_type: JWT_TOKEN_TYPE, audience: 'payments', ...extra };
    if (client) Object.assign(form, { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await signClientAssertion(client.key, { clientId: client.id, audience: issuer }) });
    return send(tokenUrl(), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  };
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

/** A downstream token for `sub`, exchanged at the gateway as orders would (token mode). */
async function exchangedFor(stack: Launched, sub: string, scopes: string[]): Promise<string> {
  const issuer = `http://localhost:${stack.ports[0]}`;
  const gatewayKey = (await loadSigningKeys(path.join(stack.dir, 'keys'))).current;
  const ordersKey = await loadWorkloadKey(path.join(stack.dir, 'subgraph-key.pem'), 'SUBGRAPH_KEY_FILE');
  const subject = (await mintIdentityToken(gatewayKey, { issuer, audience: 'orders', identity: { kind: 'user', id: sub, scopes }, ttlSeconds: 60 })).token;
  const form = {
    grant_type: TOKEN_EXCHANGE_GRANT,
    subject_token: subject,
    subject_token_type: JWT_TOKEN_TYPE,
    audience: 'payments',
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: await signClientAssertion(ordersKey, { clientId: 'orders', audience: issuer }),
  };
  const answer = await send(`${stack.gatewayUrl}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
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
