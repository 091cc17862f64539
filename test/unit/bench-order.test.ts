/** The benchmark's round order: reversed every other round, so no variant always follows the same one. */
import { describe, expect, it } from 'vitest';
import { inRoundOrder } from '../../scripts/bench/run.js';

describe('inRoundOrder', () => {
  it('measures the variants as listed in odd rounds and the other way round in even ones', () => {
    const listed = ['a', 'h', 'n', 't'];
    expect([1, 2, 3, 4].map((round) => inRoundOrder(listed, round).join(''))).toEqual(['ahnt', 'tnha', 'ahnt', 'tnha']);
    expect(listed).toEqual(['a', 'h', 'n', 't']);
  });
});
