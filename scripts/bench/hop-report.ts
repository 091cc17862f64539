/**
 * The extra hop's part of the report (issue 15): what an order's payment
 * costs per mode — the orders subgraph calling the payments service on the
 * caller's behalf — as the difference between the payment query and the
 * same query without the payment field, round by round, and the per-request
 * counts of this gateway's `extensions.authCost` (token exchanges, exchanges
 * taken from the cache, downstream calls, store reads).
 */
import type { AuthCost } from '../../shared/observability/auth-cost.js';
import type { BenchResult } from './run.js';
import { differenceByRound, rowOf } from './rounds.js';
import type { VariantDef } from './variants.js';

export interface HopCost {
  variant: VariantDef;
  /** Median over the rounds of (payment query − orders query), CPU ms per request. */
  gatewayMs: number;
  subgraphsMs: number;
  /** The payments process's CPU per request of the payment query (it does nothing for the other). */
  paymentsMs: number;
  /** One payment query at steady state, after the run. */
  steady?: AuthCost;
  /** The first payment query after login (the exchange not yet cached). */
  cold?: AuthCost;
  /** Subgraph fetches of one payment query, and of one without the payment. */
  fetches: { pay: number; orders: number };
}

export function hopCost(result: BenchResult): HopCost[] {
  const costs: HopCost[] = [];
  for (const variant of result.variants) {
    const [pay, orders] = [rowOf(result.rows, variant.id, 'pay'), rowOf(result.rows, variant.id, 'orders')];
    if (!pay || !orders) continue;
    costs.push({
      variant,
      gatewayMs: differenceByRound(pay, orders),
      subgraphsMs: differenceByRound(pay, orders, 'subgraphsCpuMsPerRequest'),
      paymentsMs: pay.paymentsCpuMsPerRequest,
      steady: pay.probe.authCost,
      cold: result.cold.find((c) => c.variant.id === variant.id && c.query === 'pay')?.probe.authCost,
      fetches: { pay: pay.probe.subgraphFetches, orders: orders.probe.subgraphFetches },
    });
  }
  return costs;
}

const fixed = (value: number | undefined, digits = 3) => (value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits));
const plus = (value: number) => `${value >= 0 ? '+' : ''}${fixed(value)}`;
const count = (cost: AuthCost | undefined, key: 'tokensExchanged' | 'exchangeCacheHits' | 'downstreamCalls' | 'storeReads') => (cost ? String(cost[key]) : '–');

export function hopSection(result: BenchResult): string[] {
  const costs = hopCost(result);
  if (costs.length === 0) return [];
  return [
    '### The extra hop: gateway → orders → payments, per mode',
    '',
    "The payment query against the same query without `payment`, in the same round (CPU per request, median over the rounds of the per-round difference):",
    'what one call from orders to the payments service on the caller\'s behalf costs the gateway (token mode: the RFC 8693 exchange at `POST /auth/token`),',
    'the subgraphs process (orders making the call) and the payments process (authenticating the caller and answering). Only the variants whose subgraphs',
    'know the caller run these two queries: payments answers a caller\'s own payments only (with auth off there is no caller; the peers pass none on).',
    'Counts: `extensions.authCost` of one payment query at steady state after the run, and (in brackets) of the first one after login.',
    '',
    '| variant | extra gateway CPU ms/req | extra subgraphs CPU ms/req | payments CPU ms/req | tokens exchanged/req | exchange cache hits/req | downstream calls/req | store reads/req | subgraph fetches (without payment) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...costs.map(
      (c) =>
        `| ${c.variant.label} | ${plus(c.gatewayMs)} | ${plus(c.subgraphsMs)} | ${fixed(c.paymentsMs)} | ${count(c.steady, 'tokensExchanged')} (${count(c.cold, 'tokensExchanged')}) | ` +
        `${count(c.steady, 'exchangeCacheHits')} (${count(c.cold, 'exchangeCacheHits')}) | ${count(c.steady, 'downstreamCalls')} | ${count(c.steady, 'storeReads')} | ${c.fetches.pay} (${c.fetches.orders}) |`,
    ),
    '',
  ];
}

/** One line per mode for the console. */
export function hopLines(result: BenchResult): string[] {
  return hopCost(result).map(
    (c) =>
      `extra hop, ${c.variant.label}: ${plus(c.gatewayMs)} ms gateway, ${plus(c.subgraphsMs)} ms subgraphs, ${fixed(c.paymentsMs)} ms payments CPU/req; ` +
      `exchanged ${count(c.steady, 'tokensExchanged')}, from cache ${count(c.steady, 'exchangeCacheHits')}, downstream calls ${count(c.steady, 'downstreamCalls')}, store reads ${count(c.steady, 'storeReads')}`,
  );
}
