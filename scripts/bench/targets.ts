/**
 * Issue 17's targets: gateway CPU per request of one variant as a ratio of
 * another's, on the public workload's heavy query (TestQuery) and its small
 * one (`me`), each ratio taken within a round (neighbouring samples share the
 * machine's mood) and judged on its median over the rounds; lower is
 * cheaper. What a missed one costs, and where, the profiles say (report.ts).
 */
import { ratioByRound, rowOf, type Measured, type Ratio } from './rounds.js';
import type { QueryId, VariantId } from './variants.js';

export type { Ratio } from './rounds.js';

export interface Target {
  label: string;
  /** Its gateway CPU per request ÷ that of `against`, in the same round, at most `max`. */
  variant: VariantId;
  against: VariantId;
  query: QueryId;
  max: number;
  ratio?: Ratio;
  status: 'met' | 'missed' | 'skipped';
}

const target = (label: string, variant: VariantId, against: VariantId, query: QueryId, max: number): Omit<Target, 'ratio' | 'status'> => ({ label, variant, against, query, max });

export const TARGETS: Omit<Target, 'ratio' | 'status'>[] = [
  target('heavy query (TestQuery), token mode ≤ 0.90× (a) stock Apollo Gateway', 't', 'a', 'heavy', 0.9),
  target('heavy query, token mode ≤ 1.00× (h) Hive Gateway without auth', 't', 'h', 'heavy', 1),
  target('small query (public `me`), token mode ≤ 1.00× (a) stock Apollo Gateway without auth', 't', 'a', 'pme', 1),
  target('small query, token mode ≤ 1.00× (j) Hive Gateway + JWT plugin', 't', 'j', 'pme', 1),
  target('heavy query, token mode ≤ 1.03× (n) this gateway with auth off', 't', 'n', 'heavy', 1.03),
  target('small query, token mode ≤ 1.03× (n) this gateway with auth off', 't', 'n', 'pme', 1.03),
  target('heavy query, session mode on Redis ≤ 1.10× (n) this gateway with auth off', 'r', 'n', 'heavy', 1.1),
  target('small query, session mode on Redis ≤ 1.10× (n) this gateway with auth off', 'r', 'n', 'pme', 1.1),
];

/** Each target judged on the run's samples; skipped when either variant or the query did not run. */
export function judgeTargets(rows: Measured[]): Target[] {
  return TARGETS.map((t) => {
    const [mine, theirs] = [rowOf(rows, t.variant, t.query), rowOf(rows, t.against, t.query)];
    if (!mine || !theirs) return { ...t, status: 'skipped' };
    const ratio = ratioByRound(mine, theirs);
    return { ...t, ratio, status: ratio.median <= t.max ? 'met' : 'missed' };
  });
}
