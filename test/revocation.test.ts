/**
 * Token mode across replicas: logout revokes the access token and its
 * sign-in on every replica within a second; refresh tokens rotate, and a
 * reused one revokes its whole sign-in; the token endpoint answers in RFC
 * 6749's format; a normal request reads nothing from the store. Two gateway
 * replicas share one store (SQLite here, Redis below) and one key folder.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../gateway/server.js';
import { DEEP_QUERY } from '../subgraphs/demo.js';
import { eventually } from './helpers/eventually.js';
import { Client, send, type Answer } from './helpers/http.js';
import { IN_CI, redisAvailable, REDIS_URL } from './helpers/modes.js';
import { startStack, type Stack } from './helpers/stack.js';

/** POST /auth/token, form-encoded. */
function token(url: string, params: Record<string, string> | string, contentType = 'application/x-www-form-urlencoded'): Promise<Answer> {
  const body = typeof params === 'string' ? params : new URLSearchParams(params).toString();
  return send(`${url}/auth/token`, { method: 'POST', headers: { 'content-type': contentType }, body });
}

const refresh = (url: string, refreshToken: string) => token(url, { grant_type: 'refresh_token', refresh_token: refreshToken });

const variants = [
  { name: 'sqlite', env: {} as Record<string, string> },
  ...(redisAvailable || IN_CI ? [{ name: 'redis', env: { SESSION_STORE: REDIS_URL } }] : []),
];

describe.each(variants)('token mode on two replicas, shared store on $name', (variant) => {
  let stack: Stack;
  let replica: RunningGateway;
  beforeAll(async () => {
    stack = await startStack({ mode: 'token', env: variant.env });
    replica = await stack.startReplica();
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function signedIn(url = stack.gatewayUrl) {
    const client = new Client(url);
    const login = await client.login('alice', 'wonderland');
    expect(login.status).toBe(200);
    return { client, refreshToken: String(login.body.refresh_token) };
  }

  it('login answers a refresh token next to a short-lived access token', async () => {
    const login = await new Client(stack.gatewayUrl).login('alice', 'wonderland');
    expect(login.body).toMatchObject({ token_type: 'Bearer', expires_in: 300, refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(login.headers.get('cache-control')).toBe('no-store');
  });

  it('a logout at one replica is refused at the other within a second, with TOKEN_REVOKED', async () => {
    const { client, refreshToken } = await signedIn(stack.gatewayUrl);
    const other = new Client(replica.url);
    other.token = client.token;
    expect((await other.query('{ me { id } }')).body.data?.me).toEqual({ id: 'u1' });

    const started = Date.now();
    const held = client.token!;
    expect((await client.logout()).status).toBe(204);
    other.token = held;
    const answer = await eventually(async () => {
      const refused = await other.query('{ me { id } }');
      expect(refused.status).toBe(401);
      return refused;
    }, { everyMs: 20, timeoutMs: 5000 });
    const latencyMs = Date.now() - started;
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('TOKEN_REVOKED');
    console.log(`${variant.name}: logout refused at the other replica after ${latencyMs} ms`);
    expect(latencyMs).toBeLessThan(1000);
    // Its sign-in is over too: the refresh token no longer works, at either replica.
    expect((await refresh(replica.url, refreshToken)).body).toMatchObject({ error: 'invalid_grant' });
    // A replica that starts later reads the revocations still in force.
    const late = await stack.startReplica();
    const atLate = await new Client(late.url).query('{ me { id } }', { headers: { authorization: `Bearer ${held}` } });
    expect(atLate.body.errors?.[0]?.extensions?.code).toBe('TOKEN_REVOKED');
  });

  it('a logout drops the identity tokens the replicas cached for that user: they are signed again', async () => {
    const first = await signedIn();
    const second = await signedIn();
    const other = new Client(replica.url);
    other.token = second.client.token;
    await other.query(DEEP_QUERY);
    const warm = await other.query(DEEP_QUERY);
    expect(warm.body.extensions?.authCost).toMatchObject({ tokensSigned: 0 });
    expect((await first.client.logout()).status).toBe(204);
    // The other replica hears of the revocation (push or poll) and forgets alice's tokens, whichever sign-in they served.
    await eventually(async () => {
      const after = await other.query(DEEP_QUERY);
      expect(after.body.data?.me?.id).toBe('u1');
      expect(after.body.extensions?.authCost.tokensSigned).toBeGreaterThan(0);
    }, { everyMs: 50, timeoutMs: 5000 });
  });

  it('a refresh rotates both tokens; the old refresh token stops working', async () => {
    const { client, refreshToken } = await signedIn();
    const renewed = await refresh(replica.url, refreshToken);
    expect(renewed.status).toBe(200);
    expect(renewed.headers.get('cache-control')).toBe('no-store');
    expect(renewed.body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'admin' });
    expect(renewed.body.access_token).not.toBe(client.token);
    expect(renewed.body.refresh_token).not.toBe(refreshToken);
    const next = new Client(stack.gatewayUrl);
    next.token = renewed.body.access_token;
    expect((await next.query('{ me { id } }')).body.data?.me).toEqual({ id: 'u1' });
    expect((await refresh(stack.gatewayUrl, renewed.body.refresh_token)).status).toBe(200);
  });

  it('a reused refresh token revokes its whole sign-in, access tokens included', async () => {
    const { client, refreshToken } = await signedIn();
    const renewed = await refresh(stack.gatewayUrl, refreshToken);
    expect(renewed.status).toBe(200);
    // An attacker replays the first refresh token: refused, and the family is revoked.
    const replay = await refresh(replica.url, refreshToken);
    expect(replay.status).toBe(400);
    expect(replay.body).toMatchObject({ error: 'invalid_grant' });
    for (const accessToken of [client.token!, renewed.body.access_token as string]) {
      await eventually(async () => {
        for (const url of [stack.gatewayUrl, replica.url]) {
          const answer = await new Client(url).query('{ me { id } }', { headers: { authorization: `Bearer ${accessToken}` } });
          expect(answer.body.errors?.[0]?.extensions?.code).toBe('TOKEN_REVOKED');
        }
      });
    }
    expect((await refresh(stack.gatewayUrl, renewed.body.refresh_token)).body).toMatchObject({ error: 'invalid_grant' });
  });

  it('a normal request reads nothing from the store', async () => {
    const { client } = await signedIn();
    await client.query(DEEP_QUERY);
    const answer = await client.query(DEEP_QUERY);
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.extensions?.authCost).toMatchObject({ storeReads: 0 });
  });

  it('refuses in RFC 6749 format: not a form, no grant_type, an unknown one, a repeated parameter, a bad token, more scope', async () => {
    const { refreshToken } = await signedIn();
    const cases: [Promise<Answer>, string][] = [
      [token(stack.gatewayUrl, JSON.stringify({ grant_type: 'refresh_token' }), 'application/json'), 'invalid_request'],
      [token(stack.gatewayUrl, {}), 'invalid_request'],
      [token(stack.gatewayUrl, { grant_type: 'password', username: 'alice', password: 'wonderland' }), 'unsupported_grant_type'],
      [token(stack.gatewayUrl, 'grant_type=refresh_token&grant_type=refresh_token&refresh_token=x'), 'invalid_request'],
      [token(stack.gatewayUrl, { grant_type: 'refresh_token' }), 'invalid_request'],
      [refresh(stack.gatewayUrl, 'x'.repeat(43)), 'invalid_grant'],
      [refresh(stack.gatewayUrl, 'not even the right shape'), 'invalid_grant'],
      [token(stack.gatewayUrl, { grant_type: 'refresh_token', refresh_token: refreshToken, scope: 'admin root' }), 'invalid_scope'],
    ];
    for (const [pending, error] of cases) {
      const answer = await pending;
      expect(answer.status, error).toBe(400);
      expect(answer.body, error).toEqual({ error, error_description: expect.any(String) });
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
    // The gateway keeps answering.
    expect((await send(`${stack.gatewayUrl}/healthz`)).status).toBe(200);
  });

  it('logging out twice, or with no token, is still a 204', async () => {
    const { client } = await signedIn();
    const held = client.token!;
    expect((await client.logout()).status).toBe(204);
    expect((await send(`${stack.gatewayUrl}/auth/logout`, { method: 'POST' })).status).toBe(204);
    const again = await send(`${stack.gatewayUrl}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${held}` } });
    expect(again.status).toBe(401);
    expect(again.code).toBe('TOKEN_REVOKED');
  });
});

describe('no access token outlives its sign-in', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode: 'token', env: { REFRESH_TOKEN_TTL: '60', ACCESS_TOKEN_TTL: '300' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a sign-in of 60 s gets access tokens that expire with it (a revocation of the sign-in lasts that long)', async () => {
    const login = await new Client(stack.gatewayUrl).login('alice', 'wonderland');
    expect(login.body.expires_in).toBeLessThanOrEqual(60);
    const { iat, exp } = decodeJwt(String(login.body.access_token));
    expect(exp! - iat!).toBeLessThanOrEqual(60);
    const renewed = await refresh(stack.gatewayUrl, String(login.body.refresh_token));
    expect(renewed.body.expires_in).toBeLessThanOrEqual(60);
    expect(decodeJwt(String(renewed.body.access_token)).exp).toBeLessThanOrEqual(iat! + 60);
  });
});

describe('session mode has no token grants', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode: 'session' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('POST /auth/token answers unsupported_grant_type', async () => {
    const answer = await refresh(stack.gatewayUrl, 'x'.repeat(43));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'unsupported_grant_type' });
  });
});
