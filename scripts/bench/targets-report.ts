/**
 * The Targets section of RESULTS.md (issue 17's targets, scripts/bench/targets.ts):
 * each target's measured ratio with its spread, met or missed, and for a
 * missed one where the remaining time goes — by area (package) and by
 * function, from the profiles of both variants on that query, when the run
 * profiled them.
 */
import { extraCostByArea, extraCostByFunction } from './profile.js';
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
    ...result.targets.filter((t) => t.status === 'missed').flatMap((t) => remainder(result, t)),
  ];
}

/** One line per target for the console. */
export function targetLines(result: BenchResult): string[] {
  return result.targets.map((t) => `target ${t.label}: ${t.status}${t.ratio ? ` (${measured(t)})` : ''}`);
}
