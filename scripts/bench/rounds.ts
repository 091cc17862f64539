/**
 * Two variants compared round by round, as every ratio and difference in the
 * report is: a sample is set against the other variant's sample of the same
 * round (neighbouring samples share the machine's mood), then the per-round
 * values are summarised.
 */
import { median } from '../lib/stats.js';

/** A per-round ratio: its median over the rounds, and the spread (min–max). */
export interface Ratio {
  median: number;
  min: number;
  max: number;
}

/** The per-round figures a comparison may read. */
export type RoundField = 'rps' | 'gatewayCpuMsPerRequest' | 'subgraphsCpuMsPerRequest';
type RoundSample = { round: number } & Record<RoundField, number>;

/** A variant's samples on one query, one per round. */
export interface Sampled {
  samples: RoundSample[];
}

export interface Measured extends Sampled {
  variant: { id: string };
  query: { id: string };
}

/** The row of `variant` on `query`, if both ran. */
export function rowOf<R extends Measured>(rows: R[], variant: string, query: string): R | undefined {
  return rows.find((r) => r.variant.id === variant && r.query.id === query);
}

/** Median and min–max of the finite values. */
export function spread(values: number[]): Ratio {
  const finite = values.filter((v) => Number.isFinite(v));
  return { median: median(finite), min: finite.length ? Math.min(...finite) : NaN, max: finite.length ? Math.max(...finite) : NaN };
}

/** Each of `mine`'s rounds combined with `theirs`' same round (NaN where `theirs` has none). */
function byRound(mine: Sampled, theirs: Sampled, field: RoundField, combine: (mine: number, theirs: number) => number): number[] {
  return mine.samples.map((s) => combine(s[field], theirs.samples.find((o) => o.round === s.round)?.[field] ?? NaN));
}

/** `mine` ÷ `theirs`, round by round: median [min–max]. */
export function ratioByRound(mine: Sampled, theirs: Sampled, field: RoundField = 'gatewayCpuMsPerRequest'): Ratio {
  return spread(byRound(mine, theirs, field, (a, b) => a / b));
}

/** `mine` − `theirs`, round by round: the median. */
export function differenceByRound(mine: Sampled, theirs: Sampled, field: RoundField = 'gatewayCpuMsPerRequest'): number {
  return median(byRound(mine, theirs, field, (a, b) => a - b));
}
