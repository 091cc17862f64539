/**
 * The x-auth-cost header: a subgraph's share of a request's authentication
 * cost, formatted by the subgraph and added up by the gateway; unknown parts
 * and bad numbers are ignored, so either side can grow.
 */
import { describe, expect, it } from 'vitest';
import { emptySubgraphCost, formatSubgraphCost } from '@fedgw/subgraph-kit';
import { addSubgraphCost, emptyAuthCost } from '../../shared/observability/auth-cost.js';

describe('formatSubgraphCost', () => {
  it('writes every count', () => {
    expect(formatSubgraphCost({ tokensVerified: 1, verifyCacheHits: 2, storeReads: 3, tokensExchanged: 4, exchangeCacheHits: 5, downstreamCalls: 6 })).toBe(
      'verified=1;verify-cache-hits=2;store-reads=3;exchanged=4;exchange-cache-hits=5;downstream-calls=6',
    );
  });
});

describe('addSubgraphCost', () => {
  it('reads back what formatSubgraphCost wrote', () => {
    const total = emptyAuthCost();
    addSubgraphCost(total, formatSubgraphCost({ ...emptySubgraphCost(), tokensVerified: 4, verifyCacheHits: 5, storeReads: 6, tokensExchanged: 1, downstreamCalls: 2 }));
    expect(total).toEqual({ ...emptyAuthCost(), tokensVerified: 4, verifyCacheHits: 5, storeReads: 6, tokensExchanged: 1, downstreamCalls: 2 });
  });

  it('adds up the shares of several subgraphs', () => {
    const total = emptyAuthCost();
    addSubgraphCost(total, 'verified=1;verify-cache-hits=0;store-reads=0');
    addSubgraphCost(total, 'verified=0;verify-cache-hits=1;store-reads=2');
    expect(total).toMatchObject({ tokensVerified: 1, verifyCacheHits: 1, storeReads: 2 });
  });

  it('ignores unknown parts and leaves the other counters alone', () => {
    const total = emptyAuthCost();
    addSubgraphCost(total, 'verified=1;future-thing=7;subgraphFetches=9;tokensSigned=9');
    expect(total).toEqual({ ...emptyAuthCost(), tokensVerified: 1 });
  });

  it('ignores bad numbers', () => {
    const total = emptyAuthCost();
    addSubgraphCost(total, 'verified=-1;verify-cache-hits=1.5;store-reads=abc');
    addSubgraphCost(total, 'verified=NaN;verify-cache-hits=Infinity;store-reads=9007199254740993');
    addSubgraphCost(total, 'verified;store-reads');
    expect(total).toEqual(emptyAuthCost());
  });

  it('ignores a missing or empty header', () => {
    const total = emptyAuthCost();
    addSubgraphCost(total, undefined);
    addSubgraphCost(total, null);
    addSubgraphCost(total, '');
    expect(total).toEqual(emptyAuthCost());
  });
});
