/**
 * `npm run bench`: this gateway (auth off, token mode, session mode) beside
 * stock Apollo Gateway and Hive Gateway (with and without its JWT plugin),
 * on the demo graph and on the Guild's public federation benchmark, measured
 * in one interleaved run on loopback. Writes bench/RESULTS.md and
 * bench/ratios.svg and prints the table. Flags (all optional):
 *
 *   --rounds N  --duration S  --warmup S  --connections N
 *   --only t,r            run (a) and only these variants: a Apollo Gateway, h Hive Gateway,
 *                         j Hive + JWT, n ours with auth off, t token, b token + request binding,
 *                         s session/SQLite, r session/Redis, m auth off again (the control)
 *   --redis-url URL       where variant (r) finds Redis (default redis://127.0.0.1:6379)
 *   --profile auto|always|never   profile a gateway replica with node --cpu-prof
 *                         (auto: only when a target is missed); --profile-seconds S
 *   --out DIR             where RESULTS.md and ratios.svg go (default bench/)
 *   --quick               a short run to check the benchmark works (not for the numbers)
 *   --verbose             show the child processes' output
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './bench/child.js';
import { consoleTable, writeReport } from './bench/report.js';
import { DEFAULTS, runBenchmark, type BenchOptions } from './bench/run.js';
import { VARIANTS, type VariantId } from './bench/variants.js';

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(2);
}

function number(value: string | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) fail(`--${name} must be a number ≥ ${min} (got ${JSON.stringify(value)})`);
  return n;
}

const parse = () => parseArgs({
  options: {
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    only: { type: 'string' },
    'redis-url': { type: 'string' },
    profile: { type: 'string' },
    'profile-seconds': { type: 'string' },
    out: { type: 'string' },
    quick: { type: 'boolean' },
    verbose: { type: 'boolean' },
  },
  strict: true,
});
let values: ReturnType<typeof parse>['values'];
try {
  values = parse().values;
} catch (error) {
  fail(`${(error as Error).message} (flags are described at the top of scripts/bench.ts)`);
}

const quick = values.quick === true;
const profile = values.profile ?? DEFAULTS.profile;
if (profile !== 'auto' && profile !== 'always' && profile !== 'never') fail('--profile must be auto, always or never');
const only = values.only?.split(',').map((id) => id.trim()) as VariantId[] | undefined;
const letters = VARIANTS.map((v) => v.id) as string[];
if (only?.some((id) => !letters.includes(id))) fail(`--only takes variant letters ${letters.join(',')}`);

const options: BenchOptions = {
  rounds: Math.round(number(values.rounds, 'rounds', quick ? 2 : DEFAULTS.rounds, 1)),
  durationSeconds: number(values.duration, 'duration', quick ? 1 : DEFAULTS.durationSeconds, 0.1),
  warmupSeconds: number(values.warmup, 'warmup', quick ? 0.5 : DEFAULTS.warmupSeconds, 0.1),
  connections: Math.round(number(values.connections, 'connections', DEFAULTS.connections, 1)),
  redisUrl: values['redis-url'] ?? DEFAULTS.redisUrl,
  only,
  profile,
  profileSeconds: number(values['profile-seconds'], 'profile-seconds', quick ? 2 : DEFAULTS.profileSeconds, 0.5),
  profileDir: path.join(REPO_ROOT, '.data', 'bench-profiles'),
  verbose: values.verbose === true,
};
const outDir = path.resolve(values.out ?? path.join(REPO_ROOT, 'bench'));

const result = await runBenchmark(options);
console.log(consoleTable(result));
const written = writeReport(result, outDir);
console.log(`\nwrote ${path.relative(process.cwd(), written.resultsFile)} and ${path.relative(process.cwd(), written.chartFile)}`);
