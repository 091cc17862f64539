/**
 * The auth trace (`extensions.authTrace`, shared/observability/auth-trace.ts)
 * end to end, once per auth-mode variant: every subgraph fetch of alice's
 * deep query with what carried her identity and what it cost, the hop to
 * payments, bob's withheld Product.cost, the planner's plan; no credential
 * in any trace (searched for the very tokens, session ids, cookies and
 * signatures the request used); and in production, no trace unless
 * AUTH_TRACE=true.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthTrace, TracedFetch } from '../shared/observability/auth-trace.js';
import { DEEP_QUERY, PAYMENT_QUERY } from '../subgraphs/demo.js';
import type { Client } from './helpers/http.js';
import { modeVariants } from './helpers/modes.js';
import { startStack, type Stack } from './helpers/stack.js';

const traceOf = (body: { extensions?: Record<string, any> }): AuthTrace => body.extensions!.authTrace as AuthTrace;
const sha12 = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 12);
/** The signed session id in the fedgw.sid cookie: `s:<id>.<signature>`. */
const sessionIdOf = (client: Client) => decodeURIComponent(client.cookie!.split('=')[1]).slice(2).split('.')[0];
const signatureOf = (jwt: string) => jwt.split('.')[2];

/** Where each of the deep query's fetches goes, as the plan writes it. */
const DEEP_FETCHES = [
  ['accounts', 'query', ''],
  ['orders', 'entities', 'me'],
  ['products', 'entities', 'me.orders.@.items.@.product'],
  ['reviews', 'entities', 'me.orders.@.items.@.product'],
  ['accounts', 'entities', 'me.orders.@.items.@.product.reviews.@.author'],
];

const shape = (fetches: TracedFetch[]) => fetches.map((fetch) => [fetch.subgraph, fetch.kind, fetch.path]).sort();

describe.each(modeVariants())('the auth trace, $name mode', (variant) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode: variant.mode, env: variant.env, record: true });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("follows alice's deep query to every subgraph: what carried her, what each hop cost, and the plan", async () => {
    const alice = stack.client();
    await alice.login('alice', 'wonderland');
    const answer = await alice.query(DEEP_QUERY);
    expect(answer.body.errors).toBeUndefined();
    const trace = traceOf(answer.body);
    expect(trace.mode).toBe(variant.mode);
    expect(trace.caller).toEqual({ id: 'u1', scopes: ['admin'], storeReads: variant.mode === 'session' ? 1 : 0 });
    expect(shape(trace.fetches)).toEqual([...DEEP_FETCHES].sort());
    for (const fetch of trace.fetches) {
      expect(fetch.status, fetch.subgraph).toBe(200);
      expect(fetch.durationMs).toBeGreaterThan(0);
      expect(fetch.downstream).toEqual([]);
      if (variant.mode === 'token') {
        expect(fetch.carrier).toMatchObject({ via: 'identity-token', claims: { iss: stack.env.GATEWAY_ISSUER, aud: fetch.subgraph, sub: 'u1', scope: 'admin' } });
        // The subgraph either checked the signature or answered from its cache: exactly one of the two.
        expect(fetch.reported!.tokensVerified + fetch.reported!.verifyCacheHits).toBe(1);
      } else {
        expect(fetch.carrier).toEqual({ via: 'session-id', session: sha12(sessionIdOf(alice)) });
        expect(fetch.reported).toMatchObject({ storeReads: 1, tokensVerified: 0 });
      }
    }
    expect(trace.withheld).toEqual([]);
    expect(trace.queryPlan).toMatch(/^QueryPlan \{/);
    for (const subgraph of ['accounts', 'orders', 'products', 'reviews']) expect(trace.queryPlan).toContain(`Fetch(service: "${subgraph}")`);
  });

  if (variant.mode === 'token') {
    it('tells a token signed for the fetch from one the gateway reused, with its claims', async () => {
      const carol = stack.client();
      await carol.login('bob', 'builder');
      const first = traceOf((await carol.query('{ me { id } }')).body).fetches[0];
      const second = traceOf((await carol.query('{ me { id } }')).body).fetches[0];
      expect(first.carrier).toMatchObject({ via: 'identity-token', token: 'signed' });
      expect(second.carrier).toMatchObject({ via: 'identity-token', token: 'cached' });
      // The same token both times: the claims say so.
      expect(second.carrier).toEqual({ ...first.carrier, token: 'cached' });
      const claims = (first.carrier as Extract<TracedFetch['carrier'], { via: 'identity-token' }>).claims;
      expect(claims.exp - claims.iat).toBe(60);
      expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'kid', 'scope', 'sub']);
      expect(first.reported).toMatchObject({ tokensVerified: 1, verifyCacheHits: 0 });
      expect(second.reported).toMatchObject({ tokensVerified: 0, verifyCacheHits: 1 });
    });
  }

  it("lists bob's withheld Product.cost with its directive and path", async () => {
    const bob = stack.client();
    await bob.login('bob', 'builder');
    const answer = await bob.query(DEEP_QUERY);
    expect(answer.body.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
    const trace = traceOf(answer.body);
    expect(trace.withheld).toEqual([{ coordinate: 'Product.cost', directive: 'requiresScopes', paths: ['me.orders.0.items.0.product.cost'], count: 1 }]);
    // Never planned: products is asked for the name only.
    expect(trace.queryPlan).not.toMatch(/\bcost\b/);
  });

  it('shows the hop beyond orders: the call to payments and how it carried alice', async () => {
    const alice = stack.client();
    await alice.login('alice', 'wonderland');
    const answer = await alice.query(PAYMENT_QUERY);
    // A failed call would be traced too (status 0), but this one must succeed.
    expect(answer.body.errors?.map((error) => error.extensions?.code)).toBeUndefined();
    const trace = traceOf(answer.body);
    const orders = trace.fetches.find((fetch) => fetch.subgraph === 'orders')!;
    expect(orders.downstream).toHaveLength(1);
    const [hop] = orders.downstream;
    expect(hop).toMatchObject({ service: 'payments', status: 200 });
    if (variant.mode === 'token') {
      expect(hop.cost.tokensExchanged + hop.cost.exchangeCacheHits).toBe(1);
      expect(hop.cost.tokensVerified + hop.cost.verifyCacheHits).toBe(1);
    } else {
      expect(hop.cost).toMatchObject({ storeReads: 1, tokensExchanged: 0 });
    }
    // orders' report includes payments' share.
    expect(orders.reported!.downstreamCalls).toBe(1);
  });

  it('traces an anonymous caller: nothing but public data, and how little carried it', async () => {
    const trace = traceOf((await stack.client().query('{ products { name } }')).body);
    expect(trace.caller).toEqual({ id: null, scopes: [], storeReads: 0 });
    const [fetch] = trace.fetches;
    if (variant.mode === 'token') {
      expect(fetch.carrier).toMatchObject({ via: 'identity-token', claims: { aud: 'products', scope: '' } });
      expect((fetch.carrier as { claims: object }).claims).not.toHaveProperty('sub');
    } else {
      expect(fetch.carrier).toEqual({ via: 'nothing' });
    }
  });

  it('never holds a credential: no token, signature, session id or cookie the request used', async () => {
    for (const list of Object.values(stack.seen)) list.length = 0;
    const alice = stack.client();
    const login = await alice.login('alice', 'wonderland');
    const traces = [await alice.query(DEEP_QUERY), await alice.query(PAYMENT_QUERY)].map((answer) => JSON.stringify(traceOf(answer.body)));
    const credentials: string[] = [];
    if (variant.mode === 'token') {
      credentials.push(alice.token!, signatureOf(alice.token!), login.body.refresh_token);
      // What each subgraph received (the gateway's fetches of a subgraph's JWKS carry nothing).
      for (const list of Object.values(stack.seen)) {
        for (const { headers } of list) {
          const token = headers.authorization?.replace(/^Bearer /, '');
          if (token) credentials.push(token, signatureOf(token));
        }
      }
    } else {
      const sid = sessionIdOf(alice);
      const cookieValue = alice.cookie!.split('=')[1];
      credentials.push(sid, cookieValue, decodeURIComponent(cookieValue), decodeURIComponent(cookieValue).split('.')[1]);
      for (const list of Object.values(stack.seen)) for (const { headers } of list) if (typeof headers['x-session-id'] === 'string') credentials.push(headers['x-session-id']);
    }
    expect(credentials.length).toBeGreaterThan(3);
    for (const credential of credentials) expect(credential.length).toBeGreaterThan(10);
    for (const serialized of traces) {
      for (const credential of new Set(credentials)) expect(serialized.includes(credential), `a credential in the trace: ${credential.slice(0, 8)}…`).toBe(false);
      // Nothing shaped like a JWT either (a downstream token, say).
      expect(serialized).not.toMatch(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\./);
    }
  });
});

describe('the auth trace and its setting', () => {
  async function traceWith(env: Record<string, string>) {
    const stack = await startStack({ env });
    try {
      const alice = stack.client();
      await alice.login('alice', 'wonderland');
      return (await alice.query('{ me { id orders { id } } }')).body;
    } finally {
      await stack.close();
    }
  }

  it('is absent in production by default, like authCost', async () => {
    const body = await traceWith({ NODE_ENV: 'production' });
    expect(body.data).toEqual({ me: { id: 'u1', orders: [{ id: 'o1' }] } });
    expect(body.extensions?.authTrace).toBeUndefined();
    expect(body.extensions?.authCost).toBeUndefined();
  });

  it('is sent in production with AUTH_TRACE=true: the gateway side, and no subgraph report', async () => {
    const body = await traceWith({ NODE_ENV: 'production', AUTH_TRACE: 'true' });
    const trace = traceOf(body);
    expect(trace.fetches.map((fetch) => fetch.subgraph).sort()).toEqual(['accounts', 'orders']);
    for (const fetch of trace.fetches) {
      expect(fetch.carrier).toMatchObject({ via: 'identity-token', claims: { sub: 'u1' } });
      // Production subgraphs send no x-auth-cost.
      expect(fetch.reported).toBeNull();
    }
    expect(body.extensions?.authCost).toBeUndefined();
  });

  it('is off outside production with AUTH_TRACE=false, authCost staying', async () => {
    const body = await traceWith({ AUTH_TRACE: 'false' });
    expect(body.extensions?.authTrace).toBeUndefined();
    expect(body.extensions?.authCost).toMatchObject({ subgraphFetches: 2 });
  });
});
