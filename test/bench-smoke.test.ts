/**
 * A smoke run of `npm run bench` (a few dozen requests per sample), so the benchmark keeps working:
 * every variant — stock Apollo Gateway, Hive Gateway with and without JWT, this gateway with auth off,
 * in token mode (with and without request binding) and in session mode — starts over both graphs (the demo subgraphs and the public
 * workload's), answers all four queries with the expected bytes under load (the heavy query's digest
 * is the Guild's expected response), the modes that carry a caller also the extra hop (orders → payments, with and without
 * the payment field), and the report holds sane numbers. It asserts counts and shapes,
 * never a speed: speed is what the real run measures (bench/RESULTS.md).
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_QUERY_EXPECTED } from '../scripts/bench/public/index.js';
import { hopCost } from '../scripts/bench/hop-report.js';
import { bindingCost, ratioChart, writeReport } from '../scripts/bench/report.js';
import { runBenchmark, type BenchResult, type Row } from '../scripts/bench/run.js';
import { noiseFloor, tokenWork } from '../scripts/bench/targets-report.js';
import type { QueryId, VariantId } from '../scripts/bench/variants.js';
import { IN_CI, REDIS_URL, redisAvailable } from './helpers/modes.js';
import { tempDir } from '../scripts/lib/local.js';

const withRedis = redisAvailable || IN_CI;
const QUERY_IDS: QueryId[] = ['me', 'deep', 'pme', 'heavy'];
/** The extra hop's pair, run by the variants whose subgraphs know the caller. */
const HOP_IDS: QueryId[] = ['orders', 'pay'];
const HOP_VARIANTS: VariantId[] = withRedis ? ['t', 'b', 's', 'r'] : ['t', 'b', 's'];
let result: BenchResult;
let dir: string;

beforeAll(async () => {
  dir = tempDir('fag-bench-smoke-');
  result = await runBenchmark({
    rounds: 1,
    durationSeconds: 0.25,
    warmupSeconds: 0.1,
    // A fixed number of requests per sample, so a busy machine slows the run down but never empties a sample.
    requestsPerSample: 10,
    connections: 2,
    redisUrl: REDIS_URL,
    // The profiling path runs too, briefly, on the heavy query (stock and token mode), so it cannot rot unnoticed.
    profile: 'always',
    profileVariants: ['t'],
    profileSeconds: 0.5,
    profileDir: dir,
    log: () => {},
  });
}, 300_000);
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const row = (variant: VariantId, query: QueryId): Row => result.rows.find((r) => r.variant.id === variant && r.query.id === query)!;
const APOLLO_PLANNED: VariantId[] = ['a', 'n', 't', 'b', 's', 'r', 'm'];

describe('the benchmark, in a smoke run', () => {
  it('runs every variant over both graphs, and (r) where Redis answers; a skipped variant comes with a reason', () => {
    expect(result.variants.map((v) => v.id)).toEqual(withRedis ? ['a', 'h', 'j', 'n', 't', 'b', 's', 'r', 'm'] : ['a', 'h', 'j', 'n', 't', 'b', 's', 'm']);
    if (!withRedis) expect(result.skipped).toEqual([{ variant: expect.objectContaining({ id: 'r' }), reason: expect.stringContaining('no Redis') }]);
    expect(result.queries.map((q) => q.id)).toEqual([...QUERY_IDS, ...HOP_IDS]);
    expect(result.rows).toHaveLength(result.variants.length * QUERY_IDS.length + HOP_VARIANTS.length * HOP_IDS.length);
    for (const id of HOP_IDS) expect(result.rows.filter((r) => r.query.id === id).map((r) => r.variant.id)).toEqual(HOP_VARIANTS);
  });

  it("gets the Guild's expected response to the heavy query from every variant: same length, same SHA-256", () => {
    const heavy = result.answers.find((a) => a.query.id === 'heavy')!;
    expect(heavy).toMatchObject({ sha256: TEST_QUERY_EXPECTED.sha256, bytes: TEST_QUERY_EXPECTED.bytes, expected: true });
    for (const id of ['t', 'h', 'j'] as const) expect(row(id, 'heavy').answersMatchBaseline, id).toBe(true);
  });

  it('gets right answers only under load, the same data in every variant, and positive, consistent measurements', () => {
    for (const r of result.rows) {
      const name = `${r.variant.label} ${r.query.id}`;
      expect(r.samples, name).toHaveLength(1);
      for (const s of r.samples) {
        expect([s.errors, s.non2xx, s.mismatches], name).toEqual([0, 0, 0]);
        expect(s.requests, name).toBeGreaterThanOrEqual(10);
      }
      expect(r.allResponsesVerified, name).toBe(true);
      expect(r.answersMatchBaseline, name).toBe(true);
      expect(r.rps, name).toBeGreaterThan(0);
      expect(r.p50, name).toBeGreaterThan(0);
      expect(r.p99, name).toBeGreaterThanOrEqual(r.p50);
      expect(r.gatewayCpuMsPerRequest, name).toBeGreaterThan(0);
      // The hop's pair has no (a) to compare with.
      if (r.query.hop) {
        expect(r.cpuRatio.median, name).toBeNaN();
        continue;
      }
      for (const ratio of [r.ratio, r.cpuRatio]) {
        expect(Number.isFinite(ratio.median) && ratio.median > 0, name).toBe(true);
        expect(ratio.min, name).toBeLessThanOrEqual(ratio.median);
        expect(ratio.max, name).toBeGreaterThanOrEqual(ratio.median);
      }
    }
    expect(result.warmups.responses).toBeGreaterThan(0);
    expect(result.warmups.failed).toBe(0);
    for (const query of QUERY_IDS) {
      expect(row('a', query).ratio.median).toBe(1);
      expect(row('a', query).cpuRatio.median).toBe(1);
    }
  });

  it("counts the subgraph fetches of each query: Apollo's plan for the stock gateway and ours, Hive's own for Hive", () => {
    const fetches = (variant: VariantId, query: QueryId) => row(variant, query).probe.subgraphFetches;
    expect([fetches('a', 'me'), fetches('a', 'pme'), fetches('a', 'heavy')]).toEqual([1, 1, 16]);
    expect(fetches('a', 'deep')).toBeGreaterThanOrEqual(4);
    for (const r of result.rows) {
      if (APOLLO_PLANNED.includes(r.variant.id) && !r.query.hop) expect(r.probe.subgraphFetches, r.variant.label).toBe(fetches('a', r.query.id));
      if (r.probe.authCost) expect(r.probe.authCost.subgraphFetches).toBe(r.probe.subgraphFetches);
    }
    for (const id of ['h', 'j'] as const) {
      expect(fetches(id, 'me')).toBe(1);
      expect(fetches(id, 'heavy')).toBeGreaterThanOrEqual(4);
      expect(fetches(id, 'heavy')).toBeLessThanOrEqual(16);
      expect(row(id, 'heavy').probe.authCost).toBeUndefined();
    }
  });

  it('reports what each mode costs per request at steady state, on every subgraph fetch', () => {
    for (const query of QUERY_IDS) {
      expect(row('a', query).probe.authCost).toBeUndefined();
      const fetches = row('a', query).probe.subgraphFetches;
      // auth off: nothing at all
      for (const id of ['n', 'm'] as const) expect(row(id, query).probe.authCost).toMatchObject({ tokensSigned: 0, tokenCacheHits: 0, tokensVerified: 0, verifyCacheHits: 0, storeReads: 0 });
      // token (with request binding too: the proofs are not identity tokens): both caches answer every fetch, except where an identity
      // token came up for renewal (one per subgraph per ~50 s: a slow run can catch one in this probe), signed once and verified by its subgraph
      for (const id of ['t', 'b'] as const) {
        const token = row(id, query).probe.authCost!;
        expect(token.tokensSigned + token.tokenCacheHits, query).toBe(fetches);
        expect(token.tokensVerified + token.verifyCacheHits, query).toBe(fetches);
        expect(token.tokensSigned, query).toBeLessThanOrEqual(4);
        expect(token.tokensVerified, query).toBeLessThanOrEqual(fetches === 1 ? 1 : 4 * token.tokensSigned);
        if (token.tokensSigned === 0) expect(token.tokensVerified, query).toBe(0);
        expect(token.storeReads, query).toBe(0);
      }
      // session: one read at the gateway and one per subgraph fetch; the renewal writes at most once per interval, not per request
      for (const id of withRedis ? (['s', 'r'] as const) : (['s'] as const)) {
        expect(row(id, query).probe.authCost).toMatchObject({ tokensSigned: 0, tokensVerified: 0, storeReads: fetches + 1 });
        expect(row(id, query).storeWritesPerRequest, query).toBeGreaterThanOrEqual(0);
        expect(row(id, query).storeWritesPerRequest, query).toBeLessThan(0.5);
      }
    }
  });

  it('counts the extra hop per mode: one downstream call, exchanged or taken from the cache in token mode, read from the store at payments in session mode', () => {
    for (const id of HOP_VARIANTS) {
      const [orders, pay] = [row(id, 'orders').probe, row(id, 'pay').probe];
      // Same plan with or without the payment: accounts, then orders; payments is called by orders, not by the gateway.
      expect([orders.subgraphFetches, pay.subgraphFetches], id).toEqual([2, 2]);
      expect(orders.authCost, id).toMatchObject({ downstreamCalls: 0, tokensExchanged: 0, exchangeCacheHits: 0 });
      expect(pay.authCost?.downstreamCalls, id).toBe(1);
      const cold = result.cold.find((c) => c.variant.id === id && c.query === 'pay')!.probe.authCost!;
      if (id === 't' || id === 'b') {
        // One exchange per identity token and hop: the first payment query exchanges, later ones take it from the cache
        // (or exchange again where orders' identity token was just renewed).
        expect(cold).toMatchObject({ tokensExchanged: 1, exchangeCacheHits: 0, downstreamCalls: 1, storeReads: 0 });
        expect(pay.authCost!.tokensExchanged + pay.authCost!.exchangeCacheHits, id).toBe(1);
        expect(pay.authCost!.storeReads, id).toBe(0);
      } else {
        // The gateway, accounts and orders read the session, and payments once more.
        expect(orders.authCost!.storeReads, id).toBe(3);
        expect(pay.authCost, id).toMatchObject({ storeReads: 4, tokensExchanged: 0, exchangeCacheHits: 0 });
      }
    }
    const costs = hopCost(result);
    expect(costs.map((c) => c.variant.id)).toEqual(HOP_VARIANTS);
    for (const cost of costs) {
      expect(Number.isFinite(cost.gatewayMs) && Number.isFinite(cost.subgraphsMs), cost.variant.label).toBe(true);
      expect(cost.paymentsMs, cost.variant.label).toBeGreaterThan(0);
    }
  });

  it('shows a new caller in token mode signing and verifying once per subgraph, on either graph', () => {
    for (const query of ['deep', 'heavy'] as const) {
      const cold = result.cold.find((c) => c.variant.id === 't' && c.query === query)!.probe.authCost!;
      expect(cold.tokensSigned, query).toBe(4);
      expect(cold.tokensVerified, query).toBe(4);
      expect(cold.tokensVerified + cold.verifyCacheHits, query).toBe(cold.subgraphFetches);
    }
  });

  it('sees every gateway reuse its subgraph connections (keep-alive), and one Redis connection per client', () => {
    for (const r of result.rows.filter((r) => r.query.id === 'deep' || r.query.id === 'heavy')) {
      const requests = r.samples.reduce((n, s) => n + s.subgraphRequests, 0);
      const opened = r.samples.reduce((n, s) => n + s.subgraphConnectionsOpened, 0);
      expect(requests, `${r.variant.label} ${r.query.id}`).toBeGreaterThan(opened);
    }
    // Read from /proc: only where there is one.
    if (withRedis && fs.existsSync('/proc/self/fd')) {
      expect(result.redisConnections?.sameThroughout).toBe(true);
      expect(result.redisConnections?.subgraphs).toBe(8);
      expect(result.redisConnections?.gateway).toBeGreaterThanOrEqual(1);
    }
  });

  it('profiles gateway replicas on the heavy query and says where their time goes', () => {
    expect(result.profiles.map((p) => p.variant.id)).toEqual(['a', 't']);
    for (const profile of result.profiles) {
      expect(profile.query.id).toBe('heavy');
      expect(profile.summary.requests, profile.variant.label).toBeGreaterThan(0);
      expect(profile.summary.areas.length, profile.variant.label).toBeGreaterThan(0);
      expect(profile.summary.functions.length, profile.variant.label).toBeGreaterThan(0);
      if (profile.variant.id !== 'a') {
        expect(profile.extra?.byArea.length).toBeGreaterThan(0);
        expect(profile.extra?.byFunction.length).toBeGreaterThan(0);
      }
    }
  });

  it('writes RESULTS.md (headline, digest, machine) and an SVG chart of the CPU ratios', () => {
    const out = tempDir('fag-bench-report-');
    try {
      const written = writeReport(result, out);
      const markdown = fs.readFileSync(written.resultsFile, 'utf8');
      for (const v of result.variants) expect(markdown).toContain(v.label);
      for (const t of result.targets) expect(markdown).toContain(t.label);
      expect(markdown).toContain('Headline: gateway CPU per request');
      expect(markdown).toContain(TEST_QUERY_EXPECTED.sha256);
      expect(markdown).toContain('Machine and versions');
      // What request binding costs, per query: (b) against (t) (figures only; their size is the real run's business).
      expect(bindingCost(result).map((cost) => [cost.query.id, cost.fetches])).toEqual([...QUERY_IDS, ...HOP_IDS].map((id) => [id, row('b', id).probe.subgraphFetches]));
      expect(markdown).toContain('The extra hop: gateway → orders → payments, per mode');
      expect(markdown).toContain('What request binding costs per subgraph fetch');
      expect(result.proofCost?.mintMs).toBeGreaterThan(0);
      expect(result.proofCost?.verifyMs).toBeGreaterThan(0);
      // Token mode's own work in isolation, set beside (t) − (n) for each query both ran.
      expect(result.tokenCost?.authenticateMs).toBeGreaterThan(0);
      expect(result.tokenCost?.perFetchMs).toBeGreaterThan(0);
      expect(tokenWork(result).map((w) => w.fetches)).toEqual(QUERY_IDS.map((id) => row('t', id).probe.subgraphFetches));
      expect(markdown).toContain("Token mode's own work, against what (t) − (n) measures");
      // The control: (m) against (n) on each target's query.
      expect(noiseFloor(result).map((r) => r.query)).toEqual(['public: TestQuery', 'public: me']);
      expect(markdown).toContain('The noise floor: (m) against (n), two identical gateways');
      expect(markdown).toContain('@graphql-hive/gateway-runtime 2.');
      const svg = fs.readFileSync(written.chartFile, 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toBe(ratioChart(result));
      // one bar per variant and query of the headline (not the hop's pair: no (a) to compare with)
      expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(result.rows.filter((r) => !r.query.hop).length);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
