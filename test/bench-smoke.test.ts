/**
 * A two-second smoke run of `npm run bench` (a few dozen requests per sample), so the benchmark keeps working:
 * every variant starts, serves both queries correctly under load, and the
 * report holds sane numbers. It asserts counts and shapes, never a speed:
 * speed is what the real run measures (bench/RESULTS.md).
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ratioChart, writeReport } from '../scripts/bench/report.js';
import { runBenchmark, type BenchResult, type Row } from '../scripts/bench/run.js';
import { IN_CI, REDIS_URL, redisAvailable } from './helpers/modes.js';
import { tempDir } from '../scripts/lib/local.js';

const withRedis = redisAvailable || IN_CI;
let result: BenchResult;
let dir: string;

beforeAll(async () => {
  dir = tempDir('fag-bench-smoke-');
  result = await runBenchmark({
    rounds: 1,
    durationSeconds: 0.25,
    warmupSeconds: 0.1,
    // A fixed number of requests per sample, so a busy machine slows the run down but never empties a sample.
    requestsPerSample: 20,
    connections: 2,
    redisUrl: REDIS_URL,
    // The profiling path runs too, briefly, so it cannot rot unnoticed.
    profile: 'always',
    profileSeconds: 0.5,
    profileDir: dir,
    log: () => {},
  });
}, 240_000);
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const row = (variant: string, query: 'me' | 'deep'): Row => result.rows.find((r) => r.variant.id === variant && r.query.id === query)!;

describe('the benchmark, in a two-second smoke run', () => {
  it('runs (a), (b), (c), and (d) where Redis answers; a skipped variant comes with a reason', () => {
    expect(result.variants.map((v) => v.id)).toEqual(withRedis ? ['a', 'b', 'c', 'd'] : ['a', 'b', 'c']);
    if (!withRedis) expect(result.skipped).toEqual([{ variant: expect.objectContaining({ id: 'd' }), reason: expect.stringContaining('no Redis') }]);
    expect(result.rows).toHaveLength(result.variants.length * 2);
  });

  it('gets right answers only, the same data in every variant, and positive, consistent measurements', () => {
    for (const r of result.rows) {
      const name = `${r.variant.label} ${r.query.id}`;
      expect(r.samples, name).toHaveLength(1);
      for (const s of r.samples) expect([s.errors, s.non2xx, s.mismatches], name).toEqual([0, 0, 0]);
      expect(r.answersMatchBaseline, name).toBe(true);
      expect(r.rps, name).toBeGreaterThan(0);
      expect(r.p50, name).toBeGreaterThan(0);
      expect(r.p99, name).toBeGreaterThanOrEqual(r.p50);
      expect(r.gatewayCpuMsPerRequest, name).toBeGreaterThan(0);
      expect(Number.isFinite(r.ratio) && r.ratio > 0, name).toBe(true);
    }
    for (const query of ['me', 'deep'] as const) expect(row('a', query).ratio).toBe(1);
  });

  it('counts the subgraph fetches of each query the same way in every variant', () => {
    for (const r of result.rows) {
      expect(r.probe.subgraphFetches).toBe(row('a', r.query.id).probe.subgraphFetches);
      if (r.probe.authCost) expect(r.probe.authCost.subgraphFetches).toBe(r.probe.subgraphFetches);
    }
    expect(row('a', 'me').probe.subgraphFetches).toBe(1);
    expect(row('a', 'deep').probe.subgraphFetches).toBeGreaterThanOrEqual(4);
  });

  it('reports what each mode costs per request at steady state', () => {
    for (const query of ['me', 'deep'] as const) {
      expect(row('a', query).probe.authCost).toBeUndefined();
      const fetches = row('a', query).probe.subgraphFetches;
      // token: nothing signed, nothing verified: both caches answer
      expect(row('b', query).probe.authCost).toMatchObject({
        tokensSigned: 0,
        tokenCacheHits: fetches,
        tokensVerified: 0,
        verifyCacheHits: fetches,
        storeReads: 0,
      });
      // session: one read at the gateway and one per subgraph fetch
      for (const id of withRedis ? ['c', 'd'] : ['c']) {
        expect(row(id, query).probe.authCost).toMatchObject({ tokensSigned: 0, tokensVerified: 0, storeReads: fetches + 1 });
      }
    }
  });

  it('shows a new caller in token mode signing and verifying once per subgraph', () => {
    const cold = result.cold.find((c) => c.variant.id === 'b')!.probe.authCost!;
    expect(cold.tokensSigned).toBe(4);
    expect(cold.tokensVerified).toBe(4);
    expect(cold.tokensVerified + cold.verifyCacheHits).toBe(cold.subgraphFetches);
  });

  it('sees the gateway reuse its subgraph connections (keep-alive), and one Redis connection per client', () => {
    for (const r of result.rows.filter((r) => r.query.id === 'deep')) {
      const requests = r.samples.reduce((n, s) => n + s.subgraphRequests, 0);
      const opened = r.samples.reduce((n, s) => n + s.subgraphConnectionsOpened, 0);
      expect(requests, r.variant.label).toBeGreaterThan(opened);
    }
    // Read from /proc: only where there is one.
    if (withRedis && fs.existsSync('/proc/self/fd')) {
      expect(result.redisConnections?.sameThroughout).toBe(true);
      expect(result.redisConnections?.subgraphs).toBe(4);
      expect(result.redisConnections?.gateway).toBeGreaterThanOrEqual(1);
    }
  });

  it('profiles the gateway replicas and says where their time goes', () => {
    expect(result.profiles.map((p) => p.variant.id)).toEqual(result.variants.map((v) => v.id));
    for (const profile of result.profiles) {
      expect(profile.summary.requests, profile.variant.label).toBeGreaterThan(0);
      expect(profile.summary.areas.length, profile.variant.label).toBeGreaterThan(0);
      expect(profile.summary.functions.length, profile.variant.label).toBeGreaterThan(0);
      if (profile.variant.id !== 'a') {
        expect(profile.extra?.byArea.length).toBeGreaterThan(0);
        expect(profile.extra?.byFunction.length).toBeGreaterThan(0);
      }
    }
  });

  it('writes RESULTS.md and an SVG chart of the ratios', () => {
    const out = tempDir('fag-bench-report-');
    try {
      const written = writeReport(result, out);
      const markdown = fs.readFileSync(written.resultsFile, 'utf8');
      for (const v of result.variants) expect(markdown).toContain(v.label);
      for (const t of result.targets) expect(markdown).toContain(t.label);
      expect(markdown).toContain('Machine and versions');
      const svg = fs.readFileSync(written.chartFile, 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toBe(ratioChart(result));
      // one bar per variant and query
      expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(result.rows.length);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
