/**
 * The benchmark itself: start every variant, fix the answers every variant
 * must give (variants.ts, referenceAnswers), then measure them interleaved
 * (round after round: for each query, every variant one after another, the
 * order reversed every other round so no variant always follows another),
 * each sample a closed-loop autocannon run after its own warm-up in which
 * every response body is checked, and summarise with medians. Ratios to
 * stock Apollo Gateway (a) are taken per round (neighbouring samples share
 * the machine's mood); their median is reported with their min–max over the
 * rounds. Optionally, or when a target is missed, a profiled replica of the
 * gateway shows where the time goes.
 */
import { median } from '../lib/stats.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensurePeers, peerVersions } from './hive.js';
import { runLoad, type LoadResult } from './load.js';
import { extraCostByArea, extraCostByFunction, mainThreadProfile, summariseProfile, type ExtraCost, type ProfileSummary } from './profile.js';
import { measureProofCost, type ProofCost } from './proof-cost.js';
import { measureTokenCost, type TokenCost } from './token-cost.js';
import { judgeTargets, type Target } from './targets.js';
import { ratioByRound, spread, type Ratio } from './rounds.js';
import { checkRedis } from './redis.js';
import { establishedConnections } from './sockets.js';
import {
  bodyCheck,
  QUERIES,
  referenceAnswers,
  runsQuery,
  startVariant,
  VARIANTS,
  type Probe,
  type QueryDef,
  type QueryId,
  type RunningVariant,
  type VariantDef,
  type VariantId,
} from './variants.js';

export interface BenchOptions {
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  /** Smoke runs: each sample is this many requests instead of a duration (warm-ups half as many). */
  requestsPerSample?: number;
  redisUrl: string;
  /** Run only these variants ((a) is always included: ratios need it). */
  only?: VariantId[];
  /** Run only these queries (smoke runs); default all. */
  queries?: QueryId[];
  /** `auto`: profile when a target is missed. */
  profile: 'auto' | 'always' | 'never';
  profileSeconds: number;
  profileDir: string;
  /** Profile only these variants, on the heavy query, when profile is `always` ((a) is always included); default all, and missed targets too. */
  profileVariants?: VariantId[];
  verbose?: boolean;
  log?: (line: string) => void;
}

export interface Sample {
  round: number;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  gatewayCpuMsPerRequest: number;
  subgraphsCpuMsPerRequest: number;
  /** The payments process's CPU per request (NaN where the variant runs none). */
  paymentsCpuMsPerRequest: number;
  /** Subgraph requests served during the sample, and TCP connections the subgraphs accepted meanwhile. */
  subgraphRequests: number;
  subgraphConnectionsOpened: number;
  subgraphConnectionsOpen: number;
  errors: number;
  non2xx: number;
  /** Responses whose body was not the expected answer. */
  mismatches: number;
  /** Session-store writes (the gateway's throttled session renewal), from each response's `extensions.authCost.storeWrites`. */
  storeWrites: number;
}

/** `"storeWrites":1` in this gateway's `extensions.authCost` (outside production); the peers have none. */
const STORE_WRITES = /"storeWrites":(\d+)/;
const countStoreWrites = (body: string) => Number(STORE_WRITES.exec(body)?.[1] ?? 0);
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

export { median };
export type { Ratio, Target } from './targets.js';

export interface Row {
  variant: VariantDef;
  query: QueryDef;
  samples: Sample[];
  rps: number;
  p50: number;
  p99: number;
  gatewayCpuMsPerRequest: number;
  subgraphsCpuMsPerRequest: number;
  paymentsCpuMsPerRequest: number;
  /** requests/s ÷ (a)'s in the same round (NaN for a query (a) does not run: the hop's pair). */
  ratio: Ratio;
  /** Gateway CPU ms per request ÷ (a)'s in the same round (lower is cheaper). */
  cpuRatio: Ratio;
  /** Session-store writes per request over every measured sample (the throttled renewal: once per interval per session). */
  storeWritesPerRequest: number;
  /** One request at steady state (caches warm), after the run. */
  probe: Probe;
  /** The steady-state answer is the reference answer (checked before the run too). */
  answersMatchBaseline: boolean;
  /** Every response of every sample was 2xx and the expected answer. */
  allResponsesVerified: boolean;
}


export interface ProfileResult {
  variant: VariantDef;
  query: QueryDef;
  summary: ProfileSummary;
  /** Where this variant spends more gateway CPU per request than (a): by area, and by function. */
  extra?: { byArea: ExtraCost[]; byFunction: ExtraCost[] };
}

export interface BenchResult {
  options: Omit<BenchOptions, 'log'>;
  startedAt: Date;
  finishedAt: Date;
  redisVersion?: string;
  peerVersions: Record<string, string>;
  loadAverage: { before: number[]; after: number[] };
  variants: VariantDef[];
  queries: QueryDef[];
  skipped: { variant: VariantDef; reason: string }[];
  /** Warm-up responses (checked like the measured ones, then discarded), and how many failed or were wrong. */
  warmups: { responses: number; failed: number };
  /** The answer of each query every variant gave (canonical data): its digest and size. */
  answers: { query: QueryDef; sha256: string; bytes: number; expected: boolean }[];
  rows: Row[];
  cold: { variant: VariantDef; query: QueryId; probe: Probe }[];
  /** Variant (r): established connections to Redis per process, and whether the same ones lasted from the first sample to the end. */
  redisConnections?: { gateway: number | null; subgraphs: number | null; sameThroughout: boolean };
  targets: Target[];
  profiles: ProfileResult[];
  /** With variant (b): one request proof's CPU in isolation (scripts/bench/proof-cost.ts). */
  proofCost?: ProofCost;
  /** With variant (t): token mode's own gateway work per request in isolation (scripts/bench/token-cost.ts). */
  tokenCost?: TokenCost;
}

/** What `npm run bench` does with no flags: about 27 minutes on a two-core machine (29 with `--profile always` on a busy one). */
export const DEFAULTS = {
  rounds: 5,
  durationSeconds: 5,
  warmupSeconds: 2,
  connections: 16,
  redisUrl: 'redis://127.0.0.1:6379',
  profile: 'auto',
  profileSeconds: 10,
} as const satisfies Partial<BenchOptions>;

/**
 * The variants of one round in the order they are measured: as listed in odd
 * rounds, reversed in even ones, so a variant's place (after which one, how
 * far into the round) does not lean every round's ratio the same way.
 */
export function inRoundOrder<T>(variants: T[], round: number): T[] {
  return round % 2 === 1 ? variants : [...variants].reverse();
}

/** With `--profile always`: the public workload's heavy query, the headline. */
export const PROFILE_ALWAYS_QUERY: QueryId = 'heavy';

/**
 * What to profile, (a) always among them to compare with: with `always`, every variant (or those asked
 * for) on the heavy query; with `always` or `auto`, also each missed target's variant and the one it is
 * measured against, on its query.
 */
function profilePlan(options: BenchOptions, queries: QueryDef[], running: RunningVariant[], targets: Target[]): { query: QueryDef; variants: RunningVariant[] }[] {
  const plan: { query: QueryDef; variants: RunningVariant[] }[] = [];
  const withBaseline = (ids: VariantId[]) => running.filter((v) => v.def.id === 'a' || ids.includes(v.def.id));
  if (options.profile === 'never') return plan;
  const always = options.profile === 'always' ? (queries.find((q) => q.id === PROFILE_ALWAYS_QUERY) ?? queries[queries.length - 1]) : undefined;
  if (always) plan.push({ query: always, variants: withBaseline(options.profileVariants ?? running.map((v) => v.def.id)) });
  // Variants named for profiling (smoke runs): those only.
  if (options.profileVariants) return plan;
  for (const query of queries) {
    if (query === always) continue;
    const missed = targets.filter((t) => t.status === 'missed' && t.query === query.id).flatMap((t) => [t.variant, t.against]);
    if (missed.length > 0) plan.push({ query, variants: withBaseline(missed) });
  }
  return plan;
}


export async function runBenchmark(options: BenchOptions): Promise<BenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const skipped: BenchResult['skipped'] = [];
  let queries = QUERIES.filter((q) => !options.queries || options.queries.includes(q.id));
  let wanted = VARIANTS.filter((v) => v.id === 'a' || !options.only || options.only.includes(v.id));

  let redisVersion: string | undefined;
  if (wanted.some((v) => v.store === 'redis')) {
    const redis = await checkRedis(options.redisUrl);
    if (redis.ok) redisVersion = redis.version;
    else {
      const reason = `no Redis answers (${redis.reason}); start redis-server or pass --redis-url`;
      for (const variant of wanted.filter((v) => v.store === 'redis')) {
        log(`skipping ${variant.label}: ${reason}`);
        skipped.push({ variant, reason });
      }
      wanted = wanted.filter((v) => v.store !== 'redis');
    }
  }
  if (wanted.some((v) => v.kind === 'hive')) ensurePeers(log);

  log(`starting ${wanted.length} variants (each: a subgraphs process and a gateway process per graph)…`);
  const started = await Promise.allSettled(wanted.map((def) => startVariant(def, { redisUrl: options.redisUrl, verbose: options.verbose })));
  const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  try {
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;

    log('checking every variant\'s answers against (a)\'s and the heavy query\'s against the Guild\'s digest…');
    const reference = await referenceAnswers(running);
    // The hop's pair is left out when no variant that runs it is running.
    queries = queries.filter((q) => reference.has(q.id));
    const runnersOf = (query: QueryDef) => running.filter((v) => runsQuery(v.def, query));
    const checks = new Map(queries.map((q) => [q.id, bodyCheck(reference.get(q.id)!.canonical)]));

    const phases = {
      'first warm-up': { seconds: options.warmupSeconds * 2, share: 1 },
      'warm-up': { seconds: options.warmupSeconds, share: 0.5 },
      sample: { seconds: options.durationSeconds, share: 1 },
      profile: { seconds: options.profileSeconds, share: 1 },
    };
    /**
     * Warm-ups run for a duration. Samples (and profiles) are a number of
     * requests, sized from the warm-up's rate to last about their duration,
     * because a run cut off by the clock abandons the requests in flight:
     * the gateway still spends CPU on them, and with 16 connections on a
     * heavy query that is many requests' worth. So every measured request is
     * answered and checked, and the gateway's CPU from a quiet start to the
     * last answer, divided by the requests, is what one request costs.
     */
    const amountFor = (phase: keyof typeof phases, ratePerSecond?: number) => {
      if (options.requestsPerSample) return Math.max(options.connections, Math.ceil(options.requestsPerSample * phases[phase].share));
      if (phase !== 'sample' && phase !== 'profile') return undefined;
      return Math.max(options.connections * 2, Math.round((ratePerSecond ?? 0) * phases[phase].seconds));
    };
    const warmups = { responses: 0, failed: 0 };
    const loadOf = async (variant: RunningVariant, query: QueryDef, phase: keyof typeof phases, url = variant.urls[query.graph], ratePerSecond?: number): Promise<LoadResult> => {
      const amount = amountFor(phase, ratePerSecond);
      const load = await runLoad({
        url: `${url}/graphql`,
        headers: variant.credential,
        body: JSON.stringify({ query: query.query }),
        connections: options.connections,
        durationSeconds: phases[phase].seconds,
        ...(amount ? { amount } : {}),
        verifyBody: checks.get(query.id)!,
        count: countStoreWrites,
      });
      if (phase !== 'sample' && phase !== 'profile') {
        warmups.responses += load.requests;
        warmups.failed += load.errors + load.non2xx + load.mismatches;
      }
      return load;
    };

    log(`warming up every variant (${options.warmupSeconds * 2} s per query)…`);
    for (const query of queries) for (const variant of runnersOf(query)) await loadOf(variant, query, 'first warm-up');

    const redisVariant = running.find((v) => v.def.store === 'redis');
    const redisPort = Number(new URL(options.redisUrl).port || 6379);
    const redisSockets = () =>
      redisVariant && [establishedConnections(redisVariant.gateways.demo.pid, redisPort), establishedConnections(redisVariant.subgraphs.pid, redisPort)];
    const redisBefore = redisSockets();

    const samples = new Map<string, Sample[]>();
    const key = (variant: VariantDef, query: QueryDef) => `${variant.id}:${query.id}`;
    for (let round = 1; round <= options.rounds; round++) {
      for (const query of queries) {
        for (const variant of inRoundOrder(runnersOf(query), round)) {
          const warm = await loadOf(variant, query, 'warm-up');
          await variant.quiesce(query.graph);
          const [cpu0, stats0, pay0] = await Promise.all([variant.gatewayCpuMs(query.graph), variant.stats(), variant.paymentsStats()]);
          const load = await loadOf(variant, query, 'sample', undefined, warm.requestsPerSecond);
          const [cpu1, stats1, pay1] = await Promise.all([variant.gatewayCpuMs(query.graph), variant.stats(), variant.paymentsStats()]);
          const perRequest = (ms: number) => (load.requests > 0 ? ms / load.requests : NaN);
          const sample: Sample = {
            round,
            rps: load.requestsPerSecond,
            p50: load.p50,
            p99: load.p99,
            requests: load.requests,
            gatewayCpuMsPerRequest: perRequest(cpu1 - cpu0),
            subgraphsCpuMsPerRequest: perRequest(stats1.cpuMs - stats0.cpuMs),
            paymentsCpuMsPerRequest: pay0 && pay1 ? perRequest(pay1.cpuMs - pay0.cpuMs) : NaN,
            subgraphRequests: stats1.requests - stats0.requests,
            subgraphConnectionsOpened: stats1.connectionsOpened - stats0.connectionsOpened,
            subgraphConnectionsOpen: stats1.connectionsOpen,
            errors: load.errors,
            non2xx: load.non2xx,
            mismatches: load.mismatches,
            storeWrites: load.counted,
          };
          const list = samples.get(key(variant.def, query)) ?? [];
          list.push(sample);
          samples.set(key(variant.def, query), list);
          log(
            `round ${round}/${options.rounds}  ${query.id.padEnd(5)}  ${variant.def.label.padEnd(26)} ${sample.gatewayCpuMsPerRequest.toFixed(3).padStart(7)} ms CPU/req` +
              `  ${sample.rps.toFixed(0).padStart(6)} req/s  p50 ${sample.p50.toFixed(2)} ms  p99 ${sample.p99.toFixed(2)} ms` +
              (sample.errors || sample.non2xx || sample.mismatches ? `  ERRORS ${sample.errors}/${sample.non2xx}/${sample.mismatches}` : ''),
          );
        }
      }
    }

    const baseline = running.find((v) => v.def.id === 'a')!;
    const rows: Row[] = [];
    for (const query of queries) {
      const baseSamples = samples.get(key(baseline.def, query));
      const against = (list: Sample[], field: 'rps' | 'gatewayCpuMsPerRequest') =>
        baseSamples ? ratioByRound({ samples: list }, { samples: baseSamples }, field) : spread([]);
      const expected = reference.get(query.id)!.canonical;
      for (const variant of runnersOf(query)) {
        const list = samples.get(key(variant.def, query))!;
        const probe = await variant.probe(query);
        rows.push({
          variant: variant.def,
          query,
          samples: list,
          rps: median(list.map((s) => s.rps)),
          p50: median(list.map((s) => s.p50)),
          p99: median(list.map((s) => s.p99)),
          gatewayCpuMsPerRequest: median(list.map((s) => s.gatewayCpuMsPerRequest)),
          subgraphsCpuMsPerRequest: median(list.map((s) => s.subgraphsCpuMsPerRequest)),
          paymentsCpuMsPerRequest: median(list.map((s) => s.paymentsCpuMsPerRequest)),
          ratio: against(list, 'rps'),
          cpuRatio: against(list, 'gatewayCpuMsPerRequest'),
          storeWritesPerRequest: sum(list.map((s) => s.storeWrites)) / sum(list.map((s) => s.requests)),
          probe,
          answersMatchBaseline: probe.canonical === expected,
          allResponsesVerified: list.every((s) => s.errors + s.non2xx + s.mismatches === 0),
        });
      }
    }

    const redisAfter = redisSockets();
    const redisConnections =
      redisBefore && redisAfter
        ? {
            gateway: redisAfter[0]?.length ?? null,
            subgraphs: redisAfter[1]?.length ?? null,
            sameThroughout: JSON.stringify(redisBefore) === JSON.stringify(redisAfter),
          }
        : undefined;

    const targets = judgeTargets(rows);

    const toProfile = profilePlan(options, queries, running, targets);
    const profiles: ProfileResult[] = [];
    for (const { query, variants } of toProfile) {
      const forQuery: ProfileResult[] = [];
      for (const variant of variants) {
        log(`profiling a replica of ${variant.def.label} (node --cpu-prof, ${options.profileSeconds} s of ${query.id})…`);
        const dir = path.join(options.profileDir, `${variant.def.id}-${query.id}`);
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true });
        const replica = await variant.startReplica(query.graph, ['--cpu-prof', '--cpu-prof-dir', dir]);
        const warm = await loadOf(variant, query, 'warm-up', replica.url);
        await variant.quiesce(query.graph);
        const [startUs, cpu0] = [await replica.handle.call<number>('clock'), await replica.handle.call<number>('cpu')];
        const load = await loadOf(variant, query, 'profile', replica.url, warm.requestsPerSecond);
        const [endUs, cpu1] = [await replica.handle.call<number>('clock'), await replica.handle.call<number>('cpu')];
        await replica.handle.stop();
        const file = mainThreadProfile(dir);
        if (!file) {
          log(`no profile was written for ${variant.def.label}`);
          continue;
        }
        forQuery.push({ variant: variant.def, query, summary: summariseProfile(file, { requests: load.requests, cpuMs: cpu1 - cpu0 }, { startUs, endUs }) });
      }
      const base = forQuery.find((p) => p.variant.id === 'a');
      if (base) {
        for (const profile of forQuery) {
          if (profile !== base) profile.extra = { byArea: extraCostByArea(profile.summary, base.summary), byFunction: extraCostByFunction(profile.summary, base.summary) };
        }
      }
      profiles.push(...forQuery);
    }

    const proofCost = running.some((v) => v.def.id === 'b') ? await measureProofCost(options.requestsPerSample ? 200 : 2000) : undefined;
    const tokenCost = running.some((v) => v.def.id === 't') ? await measureTokenCost(options.requestsPerSample ? 2000 : 20_000) : undefined;
    const { log: _log, ...settings } = options;
    return {
      options: settings,
      startedAt,
      finishedAt: new Date(),
      redisVersion,
      peerVersions: wanted.some((v) => v.kind === 'hive') ? peerVersions() : {},
      loadAverage: { before: loadBefore, after: os.loadavg() },
      variants: running.map((v) => v.def),
      queries,
      skipped,
      warmups,
      answers: queries.map((query) => {
        const answer = reference.get(query.id)!;
        return { query, sha256: answer.sha256, bytes: answer.bytes, expected: query.expected !== undefined && answer.sha256 === query.expected.sha256 };
      }),
      rows,
      cold: running.flatMap((v) => v.coldProbes.map(({ query, probe }) => ({ variant: v.def, query, probe }))),
      redisConnections,
      targets,
      profiles,
      ...(proofCost ? { proofCost } : {}),
      ...(tokenCost ? { tokenCost } : {}),
    };
  } finally {
    for (const variant of running) await variant.close().catch((error: Error) => log(`closing ${variant.def.label}: ${error.message}`));
  }
}
