/**
 * The end-to-end suite, run once per auth mode: the same requests, the same
 * answers, whichever way identity travels to the subgraphs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEEP_QUERY } from '../subgraphs/demo.js';
import { startStack, type Stack } from './helpers/stack.js';
import { modeVariantsWithBinding } from './helpers/modes.js';

describe.each(modeVariantsWithBinding())('end to end, $name mode', (variant) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode: variant.mode, env: variant.env, record: true });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('logs alice in', async () => {
    const login = await stack.client().login('alice', 'wonderland');
    expect(login.status).toBe(200);
  });

  it('answers a wrong password and an unknown user with the same 401', async () => {
    const wrong = await stack.client().login('alice', 'not-her-password');
    const unknown = await stack.client().login('mallory', 'wonderland');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual({ error: { code: 'INVALID_CREDENTIALS', message: expect.any(String) } });
    expect(unknown.body).toEqual(wrong.body);
  });

  it('refuses a login body that is not {username, password}', async () => {
    const response = await fetch(`${stack.gatewayUrl}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: ['alice'] }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.code).toBe('BAD_REQUEST');
  });

  it('serves an anonymous caller public data and no identity', async () => {
    const result = await stack.client().query('{ me { id } products { id name price } }');
    expect(result.status).toBe(200);
    expect(result.body.data?.me).toBeNull();
    expect(result.body.data?.products).toHaveLength(3);
  });

  it("assembles alice's data from all four subgraphs, with her identity in each", async () => {
    const alice = stack.client();
    await alice.login('alice', 'wonderland');
    const result = await alice.query(DEEP_QUERY);
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
    const me = result.body.data!.me;
    // accounts: me
    expect(me).toMatchObject({ id: 'u1', name: 'Alice Liddell' });
    // orders (entity fetch on User): only her own
    expect(me.orders.map((order: any) => order.id)).toEqual(['o1']);
    const teapot = me.orders[0].items[0].product;
    // products (entity fetch on Product): cost needs the admin scope, which alice has
    expect(teapot).toMatchObject({ name: 'Teapot', cost: 9.5 });
    // reviews (entity fetch on Product): `mine` depends on the caller
    expect(teapot.reviews).toEqual([
      { body: 'Perfect for a mad tea party.', mine: true, author: { name: 'Alice Liddell' } },
      { body: 'Holds the tea, as promised.', mine: false, author: { name: 'Bob Builder' } },
    ]);
  });

  it("gives bob his own data, and no cost without the admin scope", async () => {
    const bob = stack.client();
    await bob.login('bob', 'builder');
    const result = await bob.query(DEEP_QUERY);
    const me = result.body.data!.me;
    expect(me).toMatchObject({ id: 'u2', name: 'Bob Builder' });
    expect(me.orders.map((order: any) => order.id)).toEqual(['o2']);
    const glass = me.orders[0].items[0].product;
    expect(glass.cost).toBeNull();
    expect(result.body.errors?.map((error) => [error.extensions?.code, error.path])).toEqual([
      ['UNAUTHORIZED_FIELD_OR_TYPE', ['me', 'orders', 0, 'items', 0, 'product', 'cost']],
    ]);
    expect(glass.reviews).toEqual([{ body: 'Everything is the wrong way round.', mine: false, author: { name: 'Alice Liddell' } }]);
  });

  it('lets a logged-in user write a review as themselves', async () => {
    const bob = stack.client();
    await bob.login('bob', 'builder');
    const added = await bob.query('mutation { addReview(productId: "p3", body: "Ticks loudly.") { body mine author { id name } } }');
    expect(added.body.data?.addReview).toEqual({ body: 'Ticks loudly.', mine: true, author: { id: 'u2', name: 'Bob Builder' } });
    const anonymous = await stack.client().query('mutation { addReview(productId: "p3", body: "spam") { id } }');
    // addReview is @authenticated: the gateway refuses it before any subgraph is asked.
    expect(anonymous.body.errors?.[0].extensions?.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
  });

  it('ignores identity headers a client forges', async () => {
    const forger = stack.client();
    const result = await forger.query('{ me { id } }', {
      headers: { 'x-session-id': 'forged', 'x-user-id': 'u1', 'x-identity': '{"id":"u1"}', cookie: 'fag.sid=forged' },
    });
    expect(result.status).toBe(200);
    expect(result.body.data?.me).toBeNull();
    for (const requests of Object.values(stack.seen)) {
      for (const { headers } of requests) {
        expect(headers['x-user-id']).toBeUndefined();
        expect(headers['x-identity']).toBeUndefined();
        expect(headers.cookie).toBeUndefined();
        expect(headers['x-session-id']).not.toBe('forged');
      }
    }
  });

  it('keeps answering after a malformed request', async () => {
    const response = await fetch(`${stack.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.code).toBe('BAD_REQUEST');
    const next = await stack.client().query('{ products { id } }');
    expect(next.status).toBe(200);
  });

  it('reports liveness and readiness', async () => {
    expect((await fetch(`${stack.gatewayUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${stack.gatewayUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as any).supergraph.subgraphs).toEqual(['accounts', 'products', 'reviews', 'orders']);
  });
});
