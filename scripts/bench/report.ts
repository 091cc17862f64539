/**
 * Turns a BenchResult into what people read: a console table, bench/RESULTS.md
 * (machine, versions, settings, every number from the run) and an SVG chart
 * of the headline: gateway CPU per request as a ratio of stock Apollo
 * Gateway, with the spread between rounds. Nothing here measures; nothing
 * is typed in.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './child.js';
import { hopLines, hopSection } from './hop-report.js';
import { CONCERNS } from './profile.js';
import { targetLines, targetsSection } from './targets-report.js';
import { DEFAULTS, type BenchResult, type Ratio, type Row } from './run.js';
import { differenceByRound, rowOf } from './rounds.js';
import type { QueryDef, VariantId } from './variants.js';

const PACKAGES = [
  '@apollo/gateway',
  '@apollo/server',
  '@apollo/subgraph',
  '@apollo/composition',
  'graphql',
  'express',
  'express-session',
  'jose',
  'redis',
  'connect-redis',
  'better-sqlite3',
  'autocannon',
];

function packageVersion(name: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

function gitRevision(): string {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    // The report's own files and prose (Markdown) do not make the code dirty (they may be written while a run goes on).
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', '.', ':!*.md', ':!bench/ratios.svg'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${rev} (with uncommitted changes)` : rev;
  } catch {
    return 'unknown';
  }
}

function cpuModel(): string {
  const cpus = os.cpus();
  const models = [...new Set(cpus.map((cpu) => cpu.model.trim()))];
  return models.join(' / ') || '?';
}

const fixed = (value: number | undefined, digits: number) => (value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits));
const times = (value: number, digits = 2) => `${fixed(value, digits)}×`;
/** `0.84× [0.80–0.88]`; just `1×` for (a) itself. */
const ratioWithSpread = (r: Ratio, digits = 2) =>
  !Number.isFinite(r.median) ? '–' : r.min === 1 && r.max === 1 ? '1×' : `${times(r.median, digits)} [${fixed(r.min, digits)}–${fixed(r.max, digits)}]`;
/** The queries every variant runs (the headline and the chart); the hop's pair has its own section. */
const headlineQueries = (result: BenchResult) => result.queries.filter((q) => !q.hop);
const code = (query: QueryDef) => (query.id === 'heavy' ? '`TestQuery` (scripts/bench/public/index.ts)' : `\`${query.query}\``);

function counts(row: Row): { signed: string; verified: string; reads: string } {
  const cost = row.probe.authCost;
  if (!cost) return { signed: '–', verified: '–', reads: '–' };
  return {
    signed: `${cost.tokensSigned} (${cost.tokenCacheHits} from cache)`,
    verified: `${cost.tokensVerified} (${cost.verifyCacheHits} from cache)`,
    reads: String(cost.storeReads),
  };
}

/** 0 as 0; else two significant digits (a throttled renewal is a small fraction). */
const writesPerRequest = (value: number) => (value === 0 ? '0' : value.toPrecision(2));

const signed = (value: number, digits = 3) => `${value >= 0 ? '+' : ''}${fixed(value, digits)}`;

export interface BindingCost {
  query: QueryDef;
  fetches: number;
  /** Median over the rounds of ((b) − (t)) CPU per request ÷ subgraph fetches per request. */
  gatewayMsPerFetch: number;
  subgraphsMsPerFetch: number;
}

/** What request binding costs per subgraph fetch: (b) against (t), round by round, for each query both ran. */
export function bindingCost(result: BenchResult): BindingCost[] {
  const costs: BindingCost[] = [];
  for (const query of result.queries) {
    const [plain, bound] = [rowOf(result.rows, 't', query.id), rowOf(result.rows, 'b', query.id)];
    if (!plain || !bound || bound.probe.subgraphFetches === 0) continue;
    const fetches = bound.probe.subgraphFetches;
    costs.push({
      query,
      fetches,
      gatewayMsPerFetch: differenceByRound(bound, plain) / fetches,
      subgraphsMsPerFetch: differenceByRound(bound, plain, 'subgraphsCpuMsPerRequest') / fetches,
    });
  }
  return costs;
}

function bindingCostSection(result: BenchResult): string[] {
  const costs = bindingCost(result);
  if (costs.length === 0) return [];
  return [
    '### What request binding costs per subgraph fetch',
    '',
    '(b) − (t) in the same round, CPU per request divided by the subgraph fetches of one request, median over the rounds: the gateway signs one request proof',
    'per fetch (no cache can help: each is for one request), and each subgraph checks one and keeps its id. A difference this small is within the noise of one',
    'round on a busy machine: read the medians, and compare them with the CPU per request above.',
    '',
    '| query | subgraph fetches/req | gateway CPU ms per fetch | subgraphs CPU ms per fetch |',
    '| --- | ---: | ---: | ---: |',
    ...costs.map((c) => `| ${c.query.short} | ${c.fetches} | ${signed(c.gatewayMsPerFetch)} | ${signed(c.subgraphsMsPerFetch)} |`),
    '',
    ...(result.proofCost
      ? [
          `In isolation (scripts/bench/proof-cost.ts, ${result.proofCost.proofs} proofs in one process, nothing else around them): ${fixed(result.proofCost.mintMs, 3)} ms CPU to sign one`,
          `at the gateway, ${fixed(result.proofCost.verifyMs, 3)} ms to check one at a subgraph (signature, body digest, credential hash, seen id).`,
          '',
        ]
      : []),
  ];
}

/** The command that reproduces a run with these settings. */
export function commandFor(result: BenchResult): string {
  const o = result.options;
  const flags = [
    o.rounds !== DEFAULTS.rounds && `--rounds ${o.rounds}`,
    o.durationSeconds !== DEFAULTS.durationSeconds && `--duration ${o.durationSeconds}`,
    o.warmupSeconds !== DEFAULTS.warmupSeconds && `--warmup ${o.warmupSeconds}`,
    o.connections !== DEFAULTS.connections && `--connections ${o.connections}`,
    o.redisUrl !== DEFAULTS.redisUrl && `--redis-url ${o.redisUrl}`,
    o.only && `--only ${o.only.join(',')}`,
    o.profile !== DEFAULTS.profile && `--profile ${o.profile}`,
    o.profileSeconds !== DEFAULTS.profileSeconds && `--profile-seconds ${o.profileSeconds}`,
  ].filter(Boolean);
  return flags.length ? `npm run bench -- ${flags.join(' ')}` : 'npm run bench';
}

const rowsOf = (result: BenchResult, query: QueryDef) => result.rows.filter((r) => r.query.id === query.id);

export function consoleTable(result: BenchResult): string {
  const lines: string[] = [];
  for (const query of result.queries) {
    lines.push('', `${query.short}:`);
    lines.push(
      ['variant'.padEnd(26), 'gw CPU ms/req'.padStart(13), 'CPU × (a) [min–max]'.padStart(22), 'req/s'.padStart(7), 'req/s × (a) [min–max]'.padStart(22), 'p50 ms'.padStart(7), 'p99 ms'.padStart(7), 'fetches'.padStart(7)].join(' '),
    );
    for (const row of rowsOf(result, query)) {
      lines.push(
        [
          row.variant.label.padEnd(26),
          fixed(row.gatewayCpuMsPerRequest, 3).padStart(13),
          ratioWithSpread(row.cpuRatio).padStart(22),
          fixed(row.rps, 0).padStart(7),
          ratioWithSpread(row.ratio).padStart(22),
          fixed(row.p50, 2).padStart(7),
          fixed(row.p99, 2).padStart(7),
          String(row.probe.subgraphFetches).padStart(7),
        ].join(' ') + (row.allResponsesVerified ? '' : '  (some responses failed or were wrong)'),
      );
    }
  }
  lines.push('');
  for (const answer of result.answers) {
    if (answer.query.expected) lines.push(`${answer.query.id}: every variant answered ${answer.bytes} bytes, SHA-256 ${answer.sha256}${answer.expected ? ' = the expected response' : ' ≠ the expected response'}`);
  }
  if (result.proofCost) {
    lines.push(`request proof in isolation: ${fixed(result.proofCost.mintMs, 3)} ms CPU to sign (gateway), ${fixed(result.proofCost.verifyMs, 3)} ms to check (subgraph), over ${result.proofCost.proofs} proofs`);
  }
  for (const cost of bindingCost(result)) {
    lines.push(`request binding, ${cost.query.short}: ${signed(cost.gatewayMsPerFetch)} ms gateway CPU and ${signed(cost.subgraphsMsPerFetch)} ms subgraph CPU per fetch ((b) − (t), ${cost.fetches} fetches/request)`);
  }
  lines.push(...hopLines(result));
  for (const skipped of result.skipped) lines.push(`skipped ${skipped.variant.label}: ${skipped.reason}`);
  lines.push(...targetLines(result));
  return lines.join('\n');
}

export function markdown(result: BenchResult, chartFile: string): string {
  const o = result.options;
  const out: string[] = [];
  const p = (...lines: string[]) => out.push(...lines);
  const queries = headlineQueries(result);
  const verifiedResponses = result.rows.reduce((n, r) => n + r.samples.reduce((m, s) => m + s.requests, 0), 0);
  const bad = result.rows.flatMap((r) => r.samples.map((s) => s.errors + s.non2xx + s.mismatches)).reduce((a, b) => a + b, 0);

  p(
    '# Benchmark: this gateway beside stock Apollo Gateway and Hive Gateway',
    '',
    `Written by \`${commandFor(result)}\` (scripts/bench.ts) on ${result.finishedAt.toISOString()}, from commit ${gitRevision()},`,
    `on ${os.availableParallelism()} CPUs (\`nproc\`) of ${cpuModel()}. Every number below comes from that one interleaved run;`,
    'do not edit this file by hand, run the benchmark again. How to read it: [docs/benchmark.md](../docs/benchmark.md).',
    '',
    '## Headline: gateway CPU per request',
    '',
    `Median over ${o.rounds} rounds of the gateway process's CPU time (user + system) per request; in brackets, its ratio to (a) stock Apollo Gateway`,
    'in the same round: median [min–max over the rounds]. Lower is cheaper. Requests/s, latency and the rest per query: [results](#results).',
    '',
    `| variant | ${queries.map((q) => q.short).join(' | ')} |`,
    `| --- | ${queries.map(() => '---:').join(' | ')} |`,
  );
  for (const variant of result.variants) {
    const cells = queries.map((q) => {
      const row = rowOf(result.rows, variant.id, q.id);
      return row ? `${fixed(row.gatewayCpuMsPerRequest, 2)} ms (${ratioWithSpread(row.cpuRatio)})${row.allResponsesVerified ? '' : ' ✗'}` : '–';
    });
    p(`| ${variant.label} | ${cells.join(' | ')} |`);
  }
  for (const s of result.skipped) p('', `**${s.variant.label} was skipped:** ${s.reason}.`);
  p('', `![gateway CPU per request as a ratio of (a), median and min–max over rounds](${chartFile})`, '');

  p('## Answers', '', 'Before anything was measured, every variant answered every query with the same data as (a), byte for byte in canonical form', '(`JSON.stringify` of the parsed `data`: keys in the order the query asks for them):', '');
  p('| query | canonical answer | SHA-256 | checked against |', '| --- | ---: | --- | --- |');
  for (const answer of result.answers) {
    const against = answer.query.expected
      ? answer.expected
        ? "**the Guild's expected response** (`expectedStructure` in `federation-v1/scenarios/k6.shared.js`, commit 69cf178): same length, same SHA-256"
        : "**not** the Guild's expected response"
      : answer.query.hop
        ? "the demo data (alice's order and its payment), from (t), (b), (s), (r) only: the hop's pair"
        : '(a)';
    p(`| ${answer.query.short} | ${answer.bytes} bytes | \`${answer.sha256}\` | ${against} |`);
  }
  p(
    '',
    `Under load every response body was compared with \`{"data":\` + that canonical answer (then only this gateway's \`extensions\`, no errors):`,
    bad === 0
      ? `all ${verifiedResponses} measured responses were right; none failed.`
      : `**${bad} of ${verifiedResponses} measured responses failed or were wrong** (✗ in the tables; see the samples at the end).`,
    result.warmups.failed === 0
      ? `The ${result.warmups.responses} warm-up responses, checked the same way and not counted, were right too.`
      : `**${result.warmups.failed} of the ${result.warmups.responses} warm-up responses failed or were wrong** (not counted in the figures).`,
    '',
  );

  p(...targetsSection(result));

  p(
    '## Results',
    '',
    'Medians over the rounds. *× (a)*: the ratio to (a) in the same round, median [min–max over rounds]; for CPU lower is cheaper, for requests/s higher is faster.',
    '*gateway CPU*: user+system CPU time of the gateway process over the measured window ÷ requests completed;',
    '*subgraphs CPU* likewise for the process that runs the subgraphs.',
    'Per-request counts come from one request at steady state after the run: *subgraph fetches* are counted by the subgraphs themselves,',
    "the rest is this gateway's own `extensions.authCost` accounting (– for the peers, which have none):",
    '*signed*: identity tokens the gateway signed (in brackets: taken from its token cache);',
    '*verified*: signature checks in the subgraphs (in brackets: answered from their verified-token cache); *store reads*: session-store reads, gateway and subgraphs;',
    "*store writes*: the gateway's session renewals per request over every measured sample (`extensions.authCost.storeWrites`: a session is renewed at most once per interval, SESSION_IDLE_TIMEOUT ÷ 10 and at least 60 s).",
    '',
  );
  for (const query of result.queries) {
    p(`### ${query.label}`, '', code(query), '');
    p(
      '| variant | gateway CPU ms/req | CPU × (a) | req/s | req/s × (a) | p50 ms | p99 ms | subgraphs CPU ms/req | subgraph fetches/req | tokens signed/req | tokens verified/req | store reads/req | store writes/req |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |',
    );
    for (const row of rowsOf(result, query)) {
      const c = counts(row);
      p(
        `| ${row.variant.label}${row.allResponsesVerified ? '' : ' ✗'} | ${fixed(row.gatewayCpuMsPerRequest, 3)} | ${ratioWithSpread(row.cpuRatio)} | ${fixed(row.rps, 0)} | ${ratioWithSpread(row.ratio)} | ${fixed(row.p50, 2)} | ${fixed(row.p99, 2)} | ${fixed(row.subgraphsCpuMsPerRequest, 3)} | ${row.probe.subgraphFetches} | ${c.signed} | ${c.verified} | ${c.reads} | ${row.variant.store ? writesPerRequest(row.storeWritesPerRequest) : '–'} |`,
      );
    }
    const mismatched = rowsOf(result, query).filter((r) => !r.answersMatchBaseline);
    p('', mismatched.length === 0 ? 'After the run, every variant still answered exactly as before it.' : `**Answers differ after the run:** ${mismatched.map((r) => r.variant.label).join(', ')}.`, '');
  }

  p(...hopSection(result));
  p(...bindingCostSection(result));
  p(
    '### First request after login (cold caches)',
    '',
    "What a caller costs the first time on each graph, before the gateway's token cache and the subgraphs' verified-token cache know its tokens.",
    '',
    '| variant | query | subgraph fetches | tokens signed | tokens verified | verify cache hits | store reads |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const { variant, query, probe } of result.cold) {
    const c = probe.authCost;
    p(`| ${variant.label} | ${query} | ${probe.subgraphFetches} | ${c?.tokensSigned ?? '–'} | ${c?.tokensVerified ?? '–'} | ${c?.verifyCacheHits ?? '–'} | ${c?.storeReads ?? '–'} |`);
  }

  p(
    '',
    '### Connections',
    '',
    'Gateway → subgraphs: HTTP requests the subgraphs served during the measured windows, and the TCP connections they accepted meanwhile',
    '(few connections for many requests: the gateway keeps its connections alive; the load generator reconnects to the gateway for every sample).',
    '',
    '| variant | query | subgraph requests | connections accepted | open at the end (median) |',
    '| --- | --- | ---: | ---: | ---: |',
  );
  for (const row of result.rows) {
    const sum = (f: (s: Row['samples'][number]) => number) => row.samples.reduce((a, s) => a + f(s), 0);
    const open = row.samples.map((s) => s.subgraphConnectionsOpen).sort((a, b) => a - b)[row.samples.length >> 1];
    p(`| ${row.variant.label} | ${row.query.id} | ${sum((s) => s.subgraphRequests)} | ${sum((s) => s.subgraphConnectionsOpened)} | ${open} |`);
  }
  if (result.redisConnections) {
    const { gateway, subgraphs, sameThroughout } = result.redisConnections;
    p(
      '',
      `Redis (r): established connections to Redis, read from /proc: demo gateway process ${gateway ?? 'n/a'} (its session store, plus any other Redis client it keeps),`,
      `subgraphs process ${subgraphs ?? 'n/a'} (one session-store client per subgraph, both graphs); ${sameThroughout ? 'the very same sockets before the first sample and after the last: long-lived connections, none opened per request' : '**the sockets changed during the run** (reconnects)'}.`,
    );
  }

  if (result.profiles.length > 0) {
    p(
      '',
      "## Where the gateway's time goes (`node --cpu-prof`)",
      '',
      `A replica of each profiled variant's gateway ran under \`node --cpu-prof\` for ${o.profileSeconds} s of one query after the measurement;`,
      "only samples inside that load window count. Self time, idle excluded; ms per request are the process's CPU time (process.cpuUsage) split by sample shares. Raw profiles: `" +
        path.relative(REPO_ROOT, o.profileDir) +
        '/<variant>-<query>/` (open in Chrome DevTools).',
    );
    for (const query of [...new Set(result.profiles.map((pr) => pr.query))]) {
      const profiles = result.profiles.filter((pr) => pr.query === query);
      const base = profiles.find((pr) => pr.variant.id === 'a');
      p(
        '',
        `### What the gateway spends its CPU on, per request (${query.short})`,
        '',
        "Each sample counts for the innermost frame on its stack that belongs to a concern (graphql's visitor called by the authorization filter counts as authorization);",
        'a stack with none is the work any federated gateway does, which is all that (a) does. ms per request with the profiler on (slower than without it).',
        '',
        `| concern | ${profiles.map((pr) => pr.variant.label).join(' | ')} |`,
        `| --- | ${profiles.map(() => '---:').join(' | ')} |`,
      );
      for (const concern of CONCERNS) {
        p(`| ${concern} | ${profiles.map((pr) => fixed(pr.summary.concerns.find((c) => c.concern === concern)?.msPerRequest, 3)).join(' | ')} |`);
      }
      p(`| **total** | ${profiles.map((pr) => `**${fixed(pr.summary.cpuMs / Math.max(1, pr.summary.requests), 3)}**`).join(' | ')} |`);
      for (const profile of profiles) {
        const s = profile.summary;
        p('', `#### ${profile.variant.label}, ${query.short}: ${fixed(s.cpuMs / Math.max(1, s.requests), 3)} ms gateway CPU per request over ${s.requests} requests (profiler on)${s.windowed ? '' : ' (whole process life: the load window could not be matched)'}`, '');
        p('| area | self ms/req | share |', '| --- | ---: | ---: |');
        for (const area of s.areas.slice(0, 10)) p(`| ${area.area} | ${fixed(area.msPerRequest, 4)} | ${fixed(area.share * 100, 1)}% |`);
        p('', '| function | where | self % |', '| --- | --- | ---: |');
        for (const fn of s.functions.slice(0, 12)) p(`| \`${fn.name}\` | ${fn.where || fn.area} | ${fixed(fn.share * 100, 1)}% |`);
        if (profile.extra && base) {
          const total = s.cpuMs / Math.max(1, s.requests) - base.summary.cpuMs / Math.max(1, base.summary.requests);
          p('', `Gateway CPU per request compared with (a): ${total >= 0 ? '+' : ''}${fixed(total, 3)} ms in all. Where it goes (largest differences; the two profiles are separate runs, so small entries are noise):`, '');
          p('| area | extra ms/req |', '| --- | ---: |');
          for (const e of profile.extra.byArea.filter((e) => e.extraMsPerRequest > 0.001).slice(0, 8)) p(`| ${e.what} | +${fixed(e.extraMsPerRequest, 4)} |`);
          p('', '| function | extra ms/req |', '| --- | ---: |');
          for (const e of profile.extra.byFunction.filter((e) => e.extraMsPerRequest > 0.001).slice(0, 12)) p(`| \`${e.what}\` | +${fixed(e.extraMsPerRequest, 4)} |`);
        }
      }
    }
  }

  p(
    '',
    '## Method',
    '',
    `- **Variants** (all started at once, each its own subgraphs process and one gateway process per graph, on loopback; only the one being measured has load):`,
  );
  for (const v of [...result.variants, ...result.skipped.map((s) => s.variant)]) p(`  - ${v.label}: ${v.description}${result.skipped.some((s) => s.variant === v) ? ' — skipped' : ''}`);
  p(
    '- **Graphs**: the demo graph (subgraphs/: accounts, products, reviews, orders) and the public workload, the Guild\'s federation benchmark',
    '  (`federation-v1`: accounts, inventory, products, reviews, reproduced in scripts/bench/public/ from their Rust subgraphs: same schema, same data, same answer).',
    '- **Auth off** in the subgraphs of (a), (h), (j) and (n) is a programmatic authenticator passed to `startSubgraph`, and in this gateway\'s (n) a programmatic',
    '  strategy passed to `startGateway` (no environment variable or config value reaches either): every request is a fixed caller (alice), so every variant',
    '  resolves exactly the same data. (t), (b), (s), (r) run the same subgraph code with this project\'s auth in the gateway\'s mode: every subgraph fetch carries',
    '  an identity token or a session id and is authenticated by the subgraph; in (b) also a request proof, signed per fetch and checked by the subgraph.',
    '- **Hive Gateway** runs over a supergraph composed with @apollo/composition from the same running subgraphs (their `_service { sdl }`), SECURITY specs',
    '  stripped as for (a); Node\'s HTTP server on 127.0.0.1; usage reporting, GraphiQL and the landing page off, logs at `error`, otherwise its defaults',
    '  (no JIT). (j) adds its JWT plugin (`useJWT` from @graphql-mesh/plugin-jwt-auth): the client\'s access token has the claims of this gateway\'s',
    '  token-mode access token but is signed ES256 (the plugin\'s jsonwebtoken has no EdDSA) and is verified on every request (no cache); its claims are',
    '  forwarded to every subgraph fetch in `extensions.jwt`.',
    `- **Load**: autocannon ${packageVersion('autocannon')}, closed loop, ${o.connections} connections, one request in flight per connection, all as alice (one access token or one session cookie).`,
    `- **Order**: ${o.rounds} rounds; in each round, for each query, the variants one after another (${result.variants.map((v) => v.id).join(' ')}; in even rounds the other way round, so no variant always follows the same one), each sample a ${o.warmupSeconds} s warm-up then ${o.durationSeconds} s measured;`,
    `  before the first round every variant and query had ${o.warmupSeconds * 2} s of warm-up. Ratios are taken within a round, so a slow minute of the shared machine moves both sides.`,
    '- **This gateway runs as in development** (`NODE_ENV` unset, as do the peers) so that `extensions.authCost` is there to count with, with `SUBGRAPH_POLL_INTERVAL=0`,',
    '  `PLAYGROUND=false`, `AUTH_TRACE=false` (as in production) and `ACCESS_TOKEN_TTL` of 4 h (a run outlasts the default 15 min). Session mode\'s gateway rolls the session cookie on every response',
    '  and writes the session\'s new expiry to the store at most once per renewal interval (3 min at the default 30 min idle timeout; the column "store writes/req" counts them).',
    '- **Logs**: this gateway gets a silent logger (the access-line middleware still runs; no line is written), Hive Gateway logs errors only.',
    '- **Subgraph keep-alive**: the subgraph servers keep idle connections for 60 min instead of Node\'s 5 s, in every variant alike, so the idle gaps between interleaved',
    '  samples never hit stock Apollo Gateway\'s known reuse-after-close race ("socket hang up", apollographql/federation#2313; see docs/benchmark.md).',
    '- **One caller**: every request carries the same identity, so token mode signs and verifies only when a token nears expiry (every ~50 s per subgraph);',
    '  the first-request table above shows what a new caller costs.',
    '',
    '### Machine and versions',
    '',
    `- ${os.availableParallelism()} CPUs (\`nproc\`): ${cpuModel()}; memory ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; ${os.type()} ${os.release()} (${os.arch()})`,
    `- load average before the run ${result.loadAverage.before.map((l) => l.toFixed(2)).join(' ')}, after ${result.loadAverage.after.map((l) => l.toFixed(2)).join(' ')} (other work on the machine shows here: ratios from one run are fair to compare, absolute numbers less so)`,
    `- Node ${process.versions.node}, V8 ${process.versions.v8}; Redis server ${result.redisVersion ?? '–'}`,
    `- ${PACKAGES.map((name) => `${name} ${packageVersion(name)}`).join(', ')}`,
    ...(Object.keys(result.peerVersions).length > 0
      ? [`- Hive Gateway (scripts/bench/peers): ${Object.entries(result.peerVersions).map(([name, version]) => `${name} ${version}`).join(', ')}`]
      : []),
    `- run time ${((result.finishedAt.getTime() - result.startedAt.getTime()) / 1000).toFixed(0)} s`,
    '',
    '### Every sample (gateway CPU ms per request, and requests/s, per round)',
    '',
    `| query | variant | ${Array.from({ length: o.rounds }, (_, i) => `round ${i + 1}`).join(' | ')} |`,
    `| --- | --- | ${Array.from({ length: o.rounds }, () => '---:').join(' | ')} |`,
  );
  for (const row of result.rows) {
    p(
      `| ${row.query.id} | ${row.variant.label} | ${row.samples
        .map((s) => `${fixed(s.gatewayCpuMsPerRequest, 2)} ms, ${fixed(s.rps, 0)}/s` + (s.errors + s.non2xx + s.mismatches ? ` (${s.errors + s.non2xx + s.mismatches} bad)` : ''))
        .join(' | ')} |`,
    );
  }
  p('');
  return out.join('\n');
}

const COLORS: Record<VariantId, string> = { a: '#8c8c8c', h: '#e3a21a', j: '#b7791f', n: '#7fb3e6', t: '#2f6fbd', b: '#1b3f73', s: '#6a3d9a', r: '#c0392b', m: '#b9d4f0' };
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The headline as a picture: one group per query, one bar per variant, its
 * gateway CPU per request ÷ (a)'s (median of the per-round ratios), with a
 * whisker from the smallest to the largest per-round ratio.
 */
export function ratioChart(result: BenchResult): string {
  const variants = result.variants;
  const queries = headlineQueries(result);
  const margin = { top: 56, right: 24, bottom: 92, left: 56 };
  const width = Math.max(760, margin.left + margin.right + queries.length * Math.max(1, variants.length) * 30 + queries.length * 24);
  const height = 400;
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const maxRatio = Math.max(1.2, ...result.rows.filter((r) => !r.query.hop).map((r) => (Number.isFinite(r.cpuRatio.max) ? r.cpuRatio.max : 0))) * 1.08;
  const y = (value: number) => margin.top + plotH - (value / maxRatio) * plotH;
  const groupW = plotW / Math.max(1, queries.length);
  const barW = Math.min(44, (groupW * 0.86) / Math.max(1, variants.length));
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">Gateway CPU per request as a ratio of (a) stock Apollo Gateway (lower is cheaper)</text>`,
    `<text x="${width / 2}" y="40" text-anchor="middle" fill="#555">bar: median of per-round ratios · whisker: min–max over ${result.options.rounds} rounds × ${result.options.durationSeconds} s · ${result.options.connections} connections · ${result.finishedAt.toISOString().slice(0, 10)}</text>`,
  );
  const step = maxRatio > 3 ? 0.5 : 0.2;
  for (let tick = 0; tick <= maxRatio + 1e-9; tick += step) {
    parts.push(
      `<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}" stroke="#e4e4e4"/>`,
      `<text x="${margin.left - 8}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end" fill="#555">${tick.toFixed(1)}</text>`,
    );
  }
  parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(1).toFixed(1)}" y2="${y(1).toFixed(1)}" stroke="#333" stroke-dasharray="4 3"/>`);
  queries.forEach((query, qi) => {
    const x0 = margin.left + qi * groupW + (groupW - barW * variants.length) / 2;
    variants.forEach((variant, vi) => {
      const row = rowOf(result.rows, variant.id, query.id);
      if (!row || !Number.isFinite(row.cpuRatio.median)) return;
      const x = x0 + vi * barW;
      const mid = x + barW / 2;
      parts.push(
        `<rect x="${(x + 2).toFixed(1)}" y="${y(row.cpuRatio.median).toFixed(1)}" width="${(barW - 4).toFixed(1)}" height="${(y(0) - y(row.cpuRatio.median)).toFixed(1)}" fill="${COLORS[variant.id]}"><title>${escape(
          `${variant.label}, ${query.short}: ${row.gatewayCpuMsPerRequest.toFixed(3)} ms CPU/req, ${row.cpuRatio.median.toFixed(3)}× (a) [${row.cpuRatio.min.toFixed(3)}–${row.cpuRatio.max.toFixed(3)}]`,
        )}</title></rect>`,
      );
      if (Number.isFinite(row.cpuRatio.min) && row.cpuRatio.max > row.cpuRatio.min) {
        parts.push(
          `<line x1="${mid.toFixed(1)}" x2="${mid.toFixed(1)}" y1="${y(row.cpuRatio.min).toFixed(1)}" y2="${y(row.cpuRatio.max).toFixed(1)}" stroke="#111"/>`,
          `<line x1="${(mid - 4).toFixed(1)}" x2="${(mid + 4).toFixed(1)}" y1="${y(row.cpuRatio.max).toFixed(1)}" y2="${y(row.cpuRatio.max).toFixed(1)}" stroke="#111"/>`,
          `<line x1="${(mid - 4).toFixed(1)}" x2="${(mid + 4).toFixed(1)}" y1="${y(row.cpuRatio.min).toFixed(1)}" y2="${y(row.cpuRatio.min).toFixed(1)}" stroke="#111"/>`,
        );
      }
      parts.push(`<text x="${mid.toFixed(1)}" y="${(y(Math.max(row.cpuRatio.max, row.cpuRatio.median)) - 5).toFixed(1)}" text-anchor="middle" font-size="10">${row.cpuRatio.median.toFixed(2)}</text>`);
    });
    parts.push(`<text x="${(margin.left + qi * groupW + groupW / 2).toFixed(1)}" y="${(y(0) + 18).toFixed(1)}" text-anchor="middle" font-weight="600">${escape(query.short)}</text>`);
  });
  parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>`);
  const perLine = 4;
  const legendW = (width - margin.left - margin.right) / perLine;
  variants.forEach((variant, vi) => {
    const x = margin.left + (vi % perLine) * legendW;
    const ly = height - 44 + Math.floor(vi / perLine) * 18;
    parts.push(`<rect x="${x.toFixed(1)}" y="${ly}" width="12" height="12" fill="${COLORS[variant.id]}"/>`, `<text x="${(x + 17).toFixed(1)}" y="${ly + 10}">${escape(variant.label)}</text>`);
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}

export interface WrittenReport {
  resultsFile: string;
  chartFile: string;
}

export function writeReport(result: BenchResult, outDir: string): WrittenReport {
  fs.mkdirSync(outDir, { recursive: true });
  const chartFile = path.join(outDir, 'ratios.svg');
  const resultsFile = path.join(outDir, 'RESULTS.md');
  const text = markdown(result, path.basename(chartFile));
  fs.writeFileSync(chartFile, ratioChart(result));
  fs.writeFileSync(resultsFile, text);
  return { resultsFile, chartFile };
}
