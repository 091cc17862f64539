/**
 * The auth trace's recorder (shared/observability/auth-trace.ts), alone: the
 * withheld fields and their bounded paths, what a fetch records from a
 * subgraph's answer, and the plan formatted only when the trace is sent.
 */
import { describe, expect, it } from 'vitest';
import { formatHops, formatSubgraphCost, emptySubgraphCost } from '@fedgw/subgraph-kit';
import { AuthTraceRecorder } from '../../shared/observability/auth-trace.js';

const alice = { kind: 'user' as const, id: 'u1', scopes: ['admin'] };

describe('AuthTraceRecorder', () => {
  it('lists each withheld field once, its directive, at most 10 paths and how many in all', () => {
    const trace = new AuthTraceRecorder('token', alice, 0);
    trace.denied('requiresScopes', 'Product.cost');
    for (let n = 0; n < 12; n++) trace.withheldAt('Product.cost', ['products', n, 'cost']);
    // A path reported before its denial still gets the directive.
    trace.withheldAt('User.email', ['me', 'email']);
    trace.denied('policy', 'User.email');
    const { withheld } = trace.finish();
    expect(withheld).toEqual([
      { coordinate: 'Product.cost', directive: 'requiresScopes', paths: Array.from({ length: 10 }, (_, n) => `products.${n}.cost`), count: 12 },
      { coordinate: 'User.email', directive: 'policy', paths: ['me.email'], count: 1 },
    ]);
  });

  it("records a fetch's status and what the subgraph reported, or its failure", () => {
    const trace = new AuthTraceRecorder('session', alice, 1);
    const answered = trace.fetch('orders', 'entities', 'me');
    answered.carried({ via: 'session-id', session: 'abcdef012345' });
    const hop = { service: 'payments', status: 200, ms: 3, cost: { ...emptySubgraphCost(), storeReads: 1 } };
    const headers = new Headers({ 'x-auth-cost': formatSubgraphCost({ ...emptySubgraphCost(), storeReads: 2, downstreamCalls: 1 }), 'x-auth-hops': formatHops([hop]) });
    answered.answered(200, headers);
    trace.fetch('reviews', 'entities', 'me.orders.@.items.@.product').failed(null);
    const { fetches, caller } = trace.finish();
    expect(caller).toEqual({ id: 'u1', scopes: ['admin'], storeReads: 1 });
    expect(fetches[0]).toMatchObject({ subgraph: 'orders', status: 200, carrier: { via: 'session-id' }, reported: { storeReads: 2, downstreamCalls: 1 }, downstream: [hop] });
    expect(fetches[1]).toMatchObject({ subgraph: 'reviews', status: null, carrier: { via: 'nothing' }, reported: null, downstream: [] });
  });

  it('formats the plan only when the trace is finished', () => {
    const trace = new AuthTraceRecorder('token', null, 0);
    let formatted = 0;
    trace.planned(() => `QueryPlan ${++formatted}`);
    expect(formatted).toBe(0);
    expect(trace.finish()).toMatchObject({ caller: { id: null, scopes: [] }, queryPlan: 'QueryPlan 1' });
  });
});
