/**
 * The benchmark itself: start every variant, then measure them interleaved
 * (round after round: for each query, A B C D), each sample a closed-loop
 * autocannon run after its own warm-up, and summarise with medians. Ratios
 * to (a) are taken per round (neighbouring samples share the machine's mood)
 * and their median reported. Optionally, or when a target is missed, a
 * profiled replica of the gateway shows where the time goes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLoad, type LoadResult } from './load.js';
import { extraCostByArea, extraCostByFunction, mainThreadProfile, summariseProfile, type ExtraCost, type ProfileSummary } from './profile.js';
import { checkRedis } from './redis.js';
import { establishedConnections } from './sockets.js';
import { QUERIES, startVariant, VARIANTS, type Probe, type QueryDef, type RunningVariant, type VariantDef, type VariantId } from './variants.js';

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
  /** `auto`: profile when a target is missed. */
  profile: 'auto' | 'always' | 'never';
  profileSeconds: number;
  profileDir: string;
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
  /** Subgraph requests served during the sample, and TCP connections the subgraphs accepted meanwhile. */
  subgraphRequests: number;
  subgraphConnectionsOpened: number;
  subgraphConnectionsOpen: number;
  errors: number;
  non2xx: number;
  mismatches: number;
}

export interface Row {
  variant: VariantDef;
  query: QueryDef;
  samples: Sample[];
  rps: number;
  p50: number;
  p99: number;
  gatewayCpuMsPerRequest: number;
  subgraphsCpuMsPerRequest: number;
  /** Median over rounds of (this variant's requests/s ÷ (a)'s in the same round). */
  ratio: number;
  /** One request at steady state (caches warm). */
  probe: Probe;
  answersMatchBaseline: boolean;
}

export interface Target {
  label: string;
  variant: VariantId;
  query: QueryDef['id'];
  min: number;
  ratio?: number;
  status: 'met' | 'missed' | 'skipped';
}

export interface ProfileResult {
  variant: VariantDef;
  summary: ProfileSummary;
  /** Where this variant spends more gateway CPU per request than (a): by area, and by function. */
  extra?: { byArea: ExtraCost[]; byFunction: ExtraCost[] };
}

export interface BenchResult {
  options: Omit<BenchOptions, 'log'>;
  startedAt: Date;
  finishedAt: Date;
  redisVersion?: string;
  loadAverage: { before: number[]; after: number[] };
  variants: VariantDef[];
  skipped: { variant: VariantDef; reason: string }[];
  rows: Row[];
  cold: { variant: VariantDef; probe: Probe }[];
  /** Variant (d): established connections to Redis per process, and whether the same ones lasted from the first sample to the end. */
  redisConnections?: { gateway: number | null; subgraphs: number | null; sameThroughout: boolean };
  targets: Target[];
  profiles: ProfileResult[];
}

/** What `npm run bench` does with no flags: about six minutes on a quiet two-core machine. */
export const DEFAULTS = {
  rounds: 5,
  durationSeconds: 5,
  warmupSeconds: 2,
  connections: 16,
  redisUrl: 'redis://127.0.0.1:6379',
  profile: 'auto',
  profileSeconds: 10,
} as const satisfies Partial<BenchOptions>;

export const TARGETS: Omit<Target, 'ratio' | 'status'>[] = [
  { label: 'deep query, token mode ≥ 0.97× (a)', variant: 'b', query: 'deep', min: 0.97 },
  { label: 'deep query, session mode on Redis ≥ 0.90× (a)', variant: 'd', query: 'deep', min: 0.9 },
];

export function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export async function runBenchmark(options: BenchOptions): Promise<BenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const skipped: BenchResult['skipped'] = [];
  let wanted = VARIANTS.filter((v) => v.id === 'a' || !options.only || options.only.includes(v.id));

  let redisVersion: string | undefined;
  if (wanted.some((v) => v.store === 'redis')) {
    const redis = await checkRedis(options.redisUrl);
    if (redis.ok) redisVersion = redis.version;
    else {
      const reason = `no Redis answers (${redis.reason}); start redis-server or pass --redis-url`;
      log(`skipping ${VARIANTS.find((v) => v.id === 'd')!.label}: ${reason}`);
      skipped.push({ variant: VARIANTS.find((v) => v.id === 'd')!, reason });
      wanted = wanted.filter((v) => v.store !== 'redis');
    }
  }

  log(`starting ${wanted.length} variants (subgraphs and gateway in child processes)…`);
  const started = await Promise.allSettled(wanted.map((def) => startVariant(def, { redisUrl: options.redisUrl, verbose: options.verbose })));
  const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  try {
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;

    const phases = {
      'first warm-up': { seconds: options.warmupSeconds * 2, share: 1 },
      'warm-up': { seconds: options.warmupSeconds, share: 0.5 },
      sample: { seconds: options.durationSeconds, share: 1 },
      profile: { seconds: options.profileSeconds, share: 1 },
    };
    const loadOf = (variant: RunningVariant, query: QueryDef, phase: keyof typeof phases, url = variant.gatewayUrl): Promise<LoadResult> =>
      runLoad({
        url: `${url}/graphql`,
        headers: variant.credential,
        body: JSON.stringify({ query: query.query }),
        connections: options.connections,
        durationSeconds: phases[phase].seconds,
        ...(options.requestsPerSample ? { amount: Math.max(options.connections, Math.ceil(options.requestsPerSample * phases[phase].share)) } : {}),
        verifyBody: query.verifyBody,
      });

    log(`warming up every variant (${options.warmupSeconds * 2} s per query)…`);
    for (const query of QUERIES) for (const variant of running) await loadOf(variant, query, 'first warm-up');

    const redisVariant = running.find((v) => v.def.store === 'redis');
    const redisPort = Number(new URL(options.redisUrl).port || 6379);
    const redisSockets = () =>
      redisVariant && [establishedConnections(redisVariant.gateway.pid, redisPort), establishedConnections(redisVariant.subgraphs.pid, redisPort)];
    const redisBefore = redisSockets();

    const samples = new Map<string, Sample[]>();
    const key = (variant: VariantDef, query: QueryDef) => `${variant.id}:${query.id}`;
    for (let round = 1; round <= options.rounds; round++) {
      for (const query of QUERIES) {
        for (const variant of running) {
          await loadOf(variant, query, 'warm-up');
          const [cpu0, stats0] = await Promise.all([variant.gatewayCpuMs(), variant.stats()]);
          const load = await loadOf(variant, query, 'sample');
          const [cpu1, stats1] = await Promise.all([variant.gatewayCpuMs(), variant.stats()]);
          const perRequest = (ms: number) => (load.requests > 0 ? ms / load.requests : NaN);
          const sample: Sample = {
            round,
            rps: load.requestsPerSecond,
            p50: load.p50,
            p99: load.p99,
            requests: load.requests,
            gatewayCpuMsPerRequest: perRequest(cpu1 - cpu0),
            subgraphsCpuMsPerRequest: perRequest(stats1.cpuMs - stats0.cpuMs),
            subgraphRequests: stats1.requests - stats0.requests,
            subgraphConnectionsOpened: stats1.connectionsOpened - stats0.connectionsOpened,
            subgraphConnectionsOpen: stats1.connectionsOpen,
            errors: load.errors,
            non2xx: load.non2xx,
            mismatches: load.mismatches,
          };
          const list = samples.get(key(variant.def, query)) ?? [];
          list.push(sample);
          samples.set(key(variant.def, query), list);
          log(
            `round ${round}/${options.rounds}  ${query.id.padEnd(4)}  ${variant.def.label.padEnd(20)} ${sample.rps.toFixed(0).padStart(6)} req/s` +
              `  p50 ${sample.p50.toFixed(2)} ms  p99 ${sample.p99.toFixed(2)} ms  gateway ${sample.gatewayCpuMsPerRequest.toFixed(3)} ms CPU/req` +
              (sample.errors || sample.non2xx || sample.mismatches ? `  ERRORS ${sample.errors}/${sample.non2xx}/${sample.mismatches}` : ''),
          );
        }
      }
    }

    const baseline = running.find((v) => v.def.id === 'a')!;
    const rows: Row[] = [];
    for (const query of QUERIES) {
      const baseSamples = samples.get(key(baseline.def, query))!;
      const baseProbe = await baseline.probe(query.query);
      for (const variant of running) {
        const list = samples.get(key(variant.def, query))!;
        const probe = variant === baseline ? baseProbe : await variant.probe(query.query);
        rows.push({
          variant: variant.def,
          query,
          samples: list,
          rps: median(list.map((s) => s.rps)),
          p50: median(list.map((s) => s.p50)),
          p99: median(list.map((s) => s.p99)),
          gatewayCpuMsPerRequest: median(list.map((s) => s.gatewayCpuMsPerRequest)),
          subgraphsCpuMsPerRequest: median(list.map((s) => s.subgraphsCpuMsPerRequest)),
          ratio: median(list.map((s, i) => s.rps / baseSamples[i].rps)),
          probe,
          answersMatchBaseline: JSON.stringify(probe.data) === JSON.stringify(baseProbe.data),
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

    const targets: Target[] = TARGETS.map((target) => {
      const row = rows.find((r) => r.variant.id === target.variant && r.query.id === target.query);
      if (!row) return { ...target, status: 'skipped' };
      return { ...target, ratio: row.ratio, status: row.ratio >= target.min ? 'met' : 'missed' };
    });

    const profiles: ProfileResult[] = [];
    const toProfile =
      options.profile === 'always'
        ? running.map((v) => v.def.id)
        : options.profile === 'auto'
          ? targets.filter((t) => t.status === 'missed').map((t) => t.variant)
          : [];
    if (toProfile.length > 0) {
      const deep = QUERIES.find((q) => q.id === 'deep')!;
      for (const variant of running.filter((v) => v.def.id === 'a' || toProfile.includes(v.def.id))) {
        log(`profiling a replica of ${variant.def.label} (node --cpu-prof, ${options.profileSeconds} s of the deep query)…`);
        const dir = path.join(options.profileDir, variant.def.id);
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true });
        const replica = await variant.startReplica(['--cpu-prof', '--cpu-prof-dir', dir]);
        await loadOf(variant, deep, 'warm-up', replica.url);
        const [startUs, cpu0] = [await replica.handle.call<number>('clock'), await replica.handle.call<number>('cpu')];
        const load = await loadOf(variant, deep, 'profile', replica.url);
        const [endUs, cpu1] = [await replica.handle.call<number>('clock'), await replica.handle.call<number>('cpu')];
        await replica.handle.stop();
        const file = mainThreadProfile(dir);
        if (!file) {
          log(`no profile was written for ${variant.def.label}`);
          continue;
        }
        profiles.push({ variant: variant.def, summary: summariseProfile(file, { requests: load.requests, cpuMs: cpu1 - cpu0 }, { startUs, endUs }) });
      }
      const base = profiles.find((p) => p.variant.id === 'a');
      if (base) {
        for (const profile of profiles) {
          if (profile !== base) profile.extra = { byArea: extraCostByArea(profile.summary, base.summary), byFunction: extraCostByFunction(profile.summary, base.summary) };
        }
      }
    }

    const { log: _log, ...settings } = options;
    return {
      options: settings,
      startedAt,
      finishedAt: new Date(),
      redisVersion,
      loadAverage: { before: loadBefore, after: os.loadavg() },
      variants: running.map((v) => v.def),
      skipped,
      rows,
      cold: running.map((v) => ({ variant: v.def, probe: v.coldProbe })),
      redisConnections,
      targets,
      profiles,
    };
  } finally {
    for (const variant of running) await variant.close().catch((error: Error) => log(`closing ${variant.def.label}: ${error.message}`));
  }
}
