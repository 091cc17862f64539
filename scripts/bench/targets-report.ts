/**
 * The Targets section of RESULTS.md (issue 17's targets, scripts/bench/targets.ts):
 * each target's measured ratio with its spread, met or missed, and for a
 * missed one where the remaining time goes — by area (package) and by
 * function, from the profiles of both variants on that query, when the run
 * profiled them.
 */
import { extraCostByArea, extraCostByFunction } from './profile.js';
import { differenceByRound, ratioByRound, rowOf, type Ratio } from './rounds.js';
import type { BenchResult, ProfileResult } from './run.js';
import type { Target } from './targets.js';

const fixed = (value: number | undefined, digits: number) => (value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits));
const measured = (t: Target) => (t.ratio ? `${fixed(t.ratio.median, 2)}× [${fixed(t.ratio.min, 2)}–${fixed(t.ratio.max, 2)}]` : '–');
const label = (result: BenchResult, id: string) => result.variants.find((v) => v.id === id)?.label ?? `(${id})`;

function profileOf(result: BenchResult, variant: string, query: string): ProfileResult | undefined {
  return result.profiles.find((p) => p.variant.id === variant && p.query.id === query);
}

/** Where a missed target's variant spends more than the one it is measured against (profiler on; separate runs). */
function remainder(result: BenchResult, t: Target): string[] {
  const [mine, theirs] = [profileOf(result, t.variant, t.query), profileOf(result, t.against, t.query)];
  const title = `#### Missed: ${t.label}`;
  if (!mine || !theirs) return [title, '', `Not profiled on this query in this run (\`--profile always\` profiles the heavy query, \`auto\` each missed target's query).`, ''];
  const perRequest = (p: ProfileResult) => p.summary.cpuMs / Math.max(1, p.summary.requests);
  const areas = extraCostByArea(mine.summary, theirs.summary).filter((e) => e.extraMsPerRequest > 0.005).slice(0, 6);
  const functions = extraCostByFunction(mine.summary, theirs.summary).filter((e) => e.extraMsPerRequest > 0.005).slice(0, 10);
  return [
    title,
    '',
    `Profiled (\`node --cpu-prof\`, ms per request with the profiler on): ${label(result, t.variant)} ${fixed(perRequest(mine), 3)} ms, ${label(result, t.against)} ${fixed(perRequest(theirs), 3)} ms.`,
    'Where the first spends more, by area (package) and by function (self time; two separate profiles, so small entries are noise):',
    '',
    '| area | extra ms/req |',
    '| --- | ---: |',
    ...areas.map((e) => `| ${e.what} | +${fixed(e.extraMsPerRequest, 3)} |`),
    '',
    '| function | extra ms/req |',
    '| --- | ---: |',
    ...functions.map((e) => `| \`${e.what}\` | +${fixed(e.extraMsPerRequest, 3)} |`),
    '',
  ];
}

/** (m) ÷ (n) per round on each query of a target: two identical gateways, so whatever this reads is the method's noise. */
export function noiseFloor(result: BenchResult): { query: string; ratio: Ratio }[] {
  const queries = [...new Set(result.targets.map((t) => t.query))];
  return queries.flatMap((id) => {
    const [off, again] = [rowOf(result.rows, 'n', id), rowOf(result.rows, 'm', id)];
    return off && again ? [{ query: again.query.short, ratio: ratioByRound(again, off) }] : [];
  });
}

function noiseFloorSection(result: BenchResult): string[] {
  const rows = noiseFloor(result);
  if (rows.length === 0) return [];
  return [
    '#### The noise floor: (m) against (n), two identical gateways',
    '',
    "(m) is a second copy of (n), measured at the other end of each round. Its ratio to (n) is what this run's method reads where there is no difference:",
    'a target ratio closer to its bound than this is not resolved by one run.',
    '',
    '| query | (m) ÷ (n), median [min–max] |',
    '| --- | ---: |',
    ...rows.map((r) => `| ${r.query} | ${fixed(r.ratio.median, 2)}× [${fixed(r.ratio.min, 2)}–${fixed(r.ratio.max, 2)}] |`),
    '',
  ];
}

export interface TokenWork {
  query: string;
  fetches: number;
  /** Median over the rounds of (t) − (n), gateway CPU ms per request. */
  measuredMs: number;
  /** Token mode's own work for one such request, in isolation: authenticate once, an identity-token header per fetch. */
  ownWorkMs: number;
}

/** (t) against (n) per query, beside what token mode's own work costs in isolation (scripts/bench/token-cost.ts). */
export function tokenWork(result: BenchResult): TokenWork[] {
  const cost = result.tokenCost;
  if (!cost) return [];
  return result.queries.flatMap((query) => {
    const [off, token] = [rowOf(result.rows, 'n', query.id), rowOf(result.rows, 't', query.id)];
    if (!off || !token) return [];
    const fetches = token.probe.subgraphFetches;
    return [{ query: query.short, fetches, measuredMs: differenceByRound(token, off), ownWorkMs: cost.authenticateMs + fetches * cost.perFetchMs }];
  });
}

function tokenWorkSection(result: BenchResult): string[] {
  const rows = tokenWork(result);
  if (rows.length === 0) return [];
  const cost = result.tokenCost!;
  return [
    "#### Token mode's own work, against what (t) − (n) measures",
    '',
    `In isolation (scripts/bench/token-cost.ts: the production code, ${cost.requests} requests in one process, metrics counted, nothing else around it), token mode's`,
    `gateway-side work is ${fixed(cost.authenticateMs * 1000, 1)} µs CPU to find the caller behind a repeated access token (revocation checked) and ${fixed(cost.perFetchMs * 1000, 1)} µs per subgraph fetch`,
    "to put its cached identity token on it. What (t) spends beyond that lies in code both variants run (HTTP, undici, @apollo/gateway, GC) or is the round's noise.",
    '',
    '| query | subgraph fetches/req | (t) − (n), gateway CPU ms/req (median over rounds) | token mode\'s own work, ms/req |',
    '| --- | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.query} | ${r.fetches} | ${r.measuredMs >= 0 ? '+' : ''}${fixed(r.measuredMs, 3)} | ${fixed(r.ownWorkMs, 4)} |`),
    '',
  ];
}

export function targetsSection(result: BenchResult): string[] {
  return [
    "## Targets (issue 17: gateway CPU per request, as a ratio of another variant's in the same round)",
    '',
    'Median of the per-round ratios [min–max over the rounds]; lower is cheaper. A target is met when the median is at or below it.',
    '',
    '| target | measured | status |',
    '| --- | ---: | --- |',
    ...result.targets.map((t) => `| ${t.label} | ${measured(t)} | ${t.status === 'skipped' ? 'skipped (a variant not run)' : t.status} |`),
    '',
    ...noiseFloorSection(result),
    ...tokenWorkSection(result),
    ...result.targets.filter((t) => t.status === 'missed').flatMap((t) => remainder(result, t)),
  ];
}

/** One line per target for the console, and what token mode's own work explains of (t) − (n). */
export function targetLines(result: BenchResult): string[] {
  return [
    ...noiseFloor(result).map((r) => `noise floor, ${r.query}: (m) ÷ (n), two identical gateways, ${fixed(r.ratio.median, 2)}× [${fixed(r.ratio.min, 2)}–${fixed(r.ratio.max, 2)}]`),
    ...tokenWork(result).map((r) => `token mode, ${r.query}: (t) − (n) ${r.measuredMs >= 0 ? '+' : ''}${fixed(r.measuredMs, 3)} ms gateway CPU/req; its own work in isolation ${fixed(r.ownWorkMs, 4)} ms (${r.fetches} fetches/request)`),
    ...result.targets.map((t) => `target ${t.label}: ${t.status}${t.ratio ? ` (${measured(t)})` : ''}`),
  ];
}
