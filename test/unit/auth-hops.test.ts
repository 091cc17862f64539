/**
 * The x-auth-hops header: the calls a subgraph made to downstream services,
 * written by the subgraph kit and read by the gateway's auth trace. A bad
 * entry is skipped, never trusted; the list is bounded.
 */
import { describe, expect, it } from 'vitest';
import { emptySubgraphCost, formatHops, MAX_REPORTED_HOPS, noteHop, parseHops, type DownstreamHop } from '@fedgw/subgraph-kit';

const hop = (service: string, status = 200, ms = 12.34): DownstreamHop => ({ service, status, ms, cost: { ...emptySubgraphCost(), tokensExchanged: 1, tokensVerified: 1 } });

describe('formatHops and parseHops', () => {
  it('read back what was written, the duration to a tenth of a millisecond', () => {
    const header = formatHops([hop('payments'), hop('ledger', 0, 3)]);
    expect(header).toBe(
      'payments;status=200;ms=12.3;verified=1;verify-cache-hits=0;store-reads=0;exchanged=1;exchange-cache-hits=0;downstream-calls=0, ledger;status=0;ms=3;verified=1;verify-cache-hits=0;store-reads=0;exchanged=1;exchange-cache-hits=0;downstream-calls=0',
    );
    expect(parseHops(header)).toEqual([hop('payments', 200, 12.3), hop('ledger', 0, 3)]);
  });

  it('skips an entry with a bad service name, status or duration, and keeps the rest', () => {
    const good = formatHops([hop('payments')]);
    const bad = ['Pay ments;status=200;ms=1', 'payments;status=abc;ms=1', 'payments;status=700;ms=1', 'payments;status=200;ms=-1', 'payments;ms=1;status=200', 'payments'];
    expect(parseHops([...bad, good].join(', '))).toEqual([hop('payments', 200, 12.3)]);
  });

  it('reads an entry without cost parts as costing nothing, and a missing header as no hop', () => {
    expect(parseHops('payments;status=503;ms=2')).toEqual([{ service: 'payments', status: 503, ms: 2, cost: emptySubgraphCost() }]);
    expect(parseHops(null)).toEqual([]);
    expect(parseHops('')).toEqual([]);
  });

  it('lists at most MAX_REPORTED_HOPS calls, on both sides', () => {
    const hops: DownstreamHop[] = [];
    for (let n = 0; n < MAX_REPORTED_HOPS + 5; n++) noteHop(hops, hop('payments'));
    expect(hops).toHaveLength(MAX_REPORTED_HOPS);
    const long = Array.from({ length: MAX_REPORTED_HOPS + 5 }, () => 'payments;status=200;ms=1').join(', ');
    expect(parseHops(long)).toHaveLength(MAX_REPORTED_HOPS);
  });
});
