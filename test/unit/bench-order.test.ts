/** The benchmark's rounds: reversed every other round, and variants compared round by round. */
import { describe, expect, it } from 'vitest';
import { inRoundOrder } from '../../scripts/bench/run.js';
import { differenceByRound, ratioByRound } from '../../scripts/bench/rounds.js';

describe('inRoundOrder', () => {
  it('measures the variants as listed in odd rounds and the other way round in even ones', () => {
    const listed = ['a', 'h', 'n', 't'];
    expect([1, 2, 3, 4].map((round) => inRoundOrder(listed, round).join(''))).toEqual(['ahnt', 'tnha', 'ahnt', 'tnha']);
    expect(listed).toEqual(['a', 'h', 'n', 't']);
  });
});

describe('comparisons round by round', () => {
  const sample = (round: number, cpu: number) => ({ round, rps: 1, gatewayCpuMsPerRequest: cpu, subgraphsCpuMsPerRequest: 0 });
  // Samples listed in another order than their rounds: pairs are made by round, not by position.
  const mine = { samples: [sample(1, 2), sample(2, 3), sample(3, 8)] };
  const theirs = { samples: [sample(3, 4), sample(1, 1), sample(2, 3)] };

  it("sets each of a variant's rounds against the other's same round", () => {
    expect(ratioByRound(mine, theirs)).toEqual({ median: 2, min: 1, max: 2 });
    expect(differenceByRound(mine, theirs)).toBe(1);
  });
});
