/**
 * What only session mode has: server-side sessions, fixation defence,
 * instant revocation seen by every subgraph, replicas sharing one Redis,
 * and a fast, clear answer while the store is down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson } from './helpers/http.js';
import { SESSION_COOKIE } from '../shared/auth-modes/session/gateway.js';
import { DEEP_QUERY } from '../subgraphs/demo.js';
import { startStack, type Stack } from './helpers/stack.js';
import { privateRedis, type PrivateRedis } from './helpers/redis.js';
import { IN_CI, redisAvailable, REDIS_URL } from './helpers/modes.js';

function directQuery(url: string, query: string, headers: Record<string, string> = {}) {
  // The signal is not a timing assertion: a guard so a hang fails the test instead of stalling it.
  return postJson(`${url}/graphql`, { query }, headers, { signal: AbortSignal.timeout(5000) });
}

const sessionIdsSent = (stack: Stack) =>
  Object.values(stack.seen).flatMap((requests) => requests.map((request) => request.headers['x-session-id']).filter(Boolean));

describe('session mode on SQLite', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode: 'session', record: true });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('sets a HttpOnly, SameSite=Lax session cookie with its own name, and no cookie before login', async () => {
    const anonymous = await fetch(`${stack.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ products { id } }' }),
    });
    expect(anonymous.headers.getSetCookie()).toEqual([]);

    const client = stack.client();
    const login = await client.login('alice', 'wonderland');
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ user: { id: 'u1', username: 'alice', name: 'Alice Liddell', scopes: ['admin'] } });
    const [setCookie] = login.headers.getSetCookie();
    expect(setCookie.startsWith(`${SESSION_COOKIE}=`)).toBe(true);
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Lax/);
    expect(setCookie).toMatch(/; Path=\//);
    expect(setCookie).not.toMatch(/; Secure/);
  });

  it('gives a new session at login (no fixation): the earlier cookie is not the authenticated one', async () => {
    const client = stack.client();
    await client.login('bob', 'builder');
    const before = client.cookie!;
    await client.login('alice', 'wonderland');
    expect(client.cookie).not.toBe(before);
    expect((await client.query('{ me { id } }')).body.data?.me).toEqual({ id: 'u1' });

    const planted = stack.client();
    planted.cookie = before;
    expect((await planted.query('{ me { id } }')).body.data?.me).toBeNull();
  });

  it('forwards only the session id, and each subgraph reads the session from the store', async () => {
    const client = stack.client();
    await client.login('alice', 'wonderland');
    for (const requests of Object.values(stack.seen)) requests.length = 0;
    const result = await client.query(DEEP_QUERY);
    expect(result.body.data?.me.id).toBe('u1');
    // one store read per subgraph fetch, plus the gateway's own
    const cost = (result.body as any).extensions.authCost;
    expect(cost.tokensSigned).toBe(0);
    expect(cost.tokensVerified).toBe(0);
    expect(cost.subgraphFetches).toBeGreaterThanOrEqual(4);
    expect(cost.storeReads).toBe(cost.subgraphFetches + 1);
    // Just logged in: the idle timeout needs no renewal yet, so no store write.
    expect(cost.storeWrites).toBe(0);
    for (const [name, requests] of Object.entries(stack.seen)) {
      expect(requests.length, name).toBeGreaterThan(0);
      for (const { headers } of requests) {
        expect(headers.authorization, name).toBeUndefined();
        expect(headers.cookie, name).toBeUndefined();
        expect(headers['x-session-id'], name).toMatch(/^[A-Za-z0-9_-]{16,}$/);
      }
    }
  });

  it('revokes at logout: the old cookie is anonymous at the gateway, and its session id means nothing to any subgraph', async () => {
    const client = stack.client();
    await client.login('alice', 'wonderland');
    for (const requests of Object.values(stack.seen)) requests.length = 0;
    await client.query('{ me { id } }');
    const [sid] = sessionIdsSent(stack);
    expect(sid).toBeDefined();
    const accountsUrl = stack.subgraphs.accounts.url;
    expect((await directQuery(accountsUrl, '{ me { id } }', { 'x-session-id': sid as string })).body.data.me).toEqual({ id: 'u1' });

    const oldCookie = client.cookie;
    const logout = await client.logout();
    expect(logout.status).toBe(204);
    expect(client.cookie).toBeUndefined();

    const replay = stack.client();
    replay.cookie = oldCookie;
    for (const requests of Object.values(stack.seen)) requests.length = 0;
    const result = await replay.query(DEEP_QUERY);
    expect(result.body.data?.me).toBeNull();
    expect(sessionIdsSent(stack)).toEqual([]);
    // Straight to the subgraphs with the destroyed session's id: nobody.
    expect((await directQuery(accountsUrl, '{ me { id } }', { 'x-session-id': sid as string })).body.data.me).toBeNull();
    const ordersUrl = stack.subgraphs.orders.url;
    const entities = await directQuery(
      ordersUrl,
      '{ _entities(representations: [{ __typename: "User", id: "u1" }]) { ... on User { orders { id } } } }',
      { 'x-session-id': sid as string },
    );
    expect(entities.body.data._entities).toEqual([{ orders: [] }]);
  });
});

describe('session lifetime', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode: 'session', env: { SESSION_MAX_AGE: '1', SESSION_IDLE_TIMEOUT: '3600' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('ends a session at its absolute lifetime however active it is', async () => {
    const client = stack.client();
    await client.login('alice', 'wonderland');
    expect((await client.query('{ me { id } }')).body.data?.me).toEqual({ id: 'u1' });
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect((await client.query('{ me { id } }')).body.data?.me).toBeNull();
  });
});

describe('session renewal: the idle timeout, throttled', () => {
  // A 4 s idle timeout renews at most every 2 s (half of it: renewal.ts).
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode: 'session', env: { SESSION_IDLE_TIMEOUT: '4' } });
  });
  afterAll(async () => {
    await stack?.close();
  });
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('writes the store at most once per renewal interval, keeps an active session, and ends an idle one', async () => {
    const client = stack.client();
    await client.login('alice', 'wonderland');
    const me = async () => {
      const result = await client.query('{ me { id } }');
      return { me: result.body.data?.me, writes: (result.body as any).extensions.authCost.storeWrites };
    };
    expect(await me()).toEqual({ me: { id: 'u1' }, writes: 0 });
    await sleep(2200);
    expect(await me()).toEqual({ me: { id: 'u1' }, writes: 1 });
    expect(await me()).toEqual({ me: { id: 'u1' }, writes: 0 });
    await sleep(2200);
    // Past the idle timeout counted from the login: alive, because it was renewed.
    expect(await me()).toEqual({ me: { id: 'u1' }, writes: 1 });
    await sleep(4500);
    expect((await me()).me).toBeNull();
  });
});

describe('session cookie in production', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      mode: 'session',
      env: { NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), TRUST_PROXY: 'loopback' },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const login = (headers: Record<string, string>) =>
    fetch(`${stack.gatewayUrl}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ username: 'bob', password: 'builder' }),
    });

  it('is Secure, and is sent only over HTTPS (here: a trusted proxy that terminated TLS)', async () => {
    const overHttps = await login({ 'x-forwarded-proto': 'https' });
    expect(overHttps.status).toBe(200);
    expect(overHttps.headers.getSetCookie()[0]).toMatch(/; Secure/);
    // express-session never sends a Secure cookie over plain HTTP.
    expect((await login({})).headers.getSetCookie()).toEqual([]);
  });
});

describe.skipIf(!redisAvailable && !IN_CI)('session mode on Redis: two gateway replicas', () => {
  let stack: Stack;
  let replicaUrl: string;
  beforeAll(async () => {
    stack = await startStack({ mode: 'session', env: { SESSION_STORE: REDIS_URL, SESSION_SECRET: 'replicas-share-this-secret-0123456789' } });
    replicaUrl = (await stack.startReplica()).url;
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('logs in on A, queries through B, logs out on A, and B sees anonymous', async () => {
    const onA = stack.client();
    await onA.login('alice', 'wonderland');
    const onB = stack.client(replicaUrl);
    onB.cookie = onA.cookie;
    expect((await onB.query(DEEP_QUERY)).body.data?.me).toMatchObject({ id: 'u1', orders: [{ id: 'o1' }] });
    await onA.logout();
    expect((await onB.query('{ me { id } }')).body.data?.me).toBeNull();
  });
});

describe('session mode when Redis goes away', () => {
  let redis: PrivateRedis;
  let stack: Stack;
  beforeAll(async () => {
    redis = await privateRedis();
    stack = await startStack({ mode: 'session', env: { SESSION_STORE: redis.url } });
  });
  afterAll(async () => {
    await stack?.close();
    await redis?.stop();
  });

  it('answers 503 SESSION_STORE_UNAVAILABLE fast, then recovers by itself when Redis returns', async () => {
    const client = stack.client();
    await client.login('alice', 'wonderland');
    expect((await client.query('{ me { id } }')).body.data?.me).toEqual({ id: 'u1' });

    await redis.stop();
    const started = Date.now();
    const response = await fetch(`${stack.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...client.credentialHeaders() },
      body: JSON.stringify({ query: '{ me { id } }' }),
      signal: AbortSignal.timeout(5000),
    });
    console.log(`gateway answered ${response.status} ${Date.now() - started} ms after Redis stopped`);
    expect(response.status).toBe(503);
    expect(((await response.json()) as any).error.code).toBe('SESSION_STORE_UNAVAILABLE');

    const login = await stack.client().login('bob', 'builder');
    expect(login.status).toBe(503);
    expect(login.body.error.code).toBe('SESSION_STORE_UNAVAILABLE');

    const direct = await directQuery(stack.subgraphs.accounts.url, '{ me { id } }', { 'x-session-id': 'a'.repeat(32) });
    expect(direct.status).toBe(503);
    expect(direct.body.errors[0].extensions.code).toBe('SESSION_STORE_UNAVAILABLE');

    const ready = await fetch(`${stack.gatewayUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as any).store.ok).toBe(false);

    // A public query with no session needs no store: it still answers.
    expect((await stack.client().query('{ products { id } }')).status).toBe(200);

    await redis.start();
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await stack.client().login('bob', 'builder')).status;
    }
    expect(status).toBe(200);
    expect((await fetch(`${stack.gatewayUrl}/readyz`)).status).toBe(200);
    const bob = stack.client();
    await bob.login('bob', 'builder');
    expect((await bob.query('{ me { id } }')).body.data?.me).toEqual({ id: 'u2' });
  });
});
