/**
 * The pure parts of the request limits: the shape of a resolved operation
 * (depth, aliases, root fields, through fragments), the size checks on the
 * query text before it is parsed, and the JSON depth of a body.
 */
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { cachedByText, checkQueryText, jsonDeeperThan, measureOperation } from '../../gateway/request-limits.js';

function measure(query: string, operationName?: string) {
  const document = parse(query);
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (operationName === undefined || d.name?.value === operationName),
  )!;
  return measureOperation(document, operation);
}

describe('measureOperation', () => {
  it('counts nested fields, aliases and root fields', () => {
    expect(measure('{ a { b { c } } d }')).toEqual({ depth: 3, aliases: 0, rootFields: 2 });
    expect(measure('{ x: a { y: b } z: d }')).toEqual({ depth: 2, aliases: 3, rootFields: 2 });
  });

  it('measures through named and inline fragments', () => {
    expect(measure('{ a { ...F } ... on Query { e: d } } fragment F on A { b { c: c } }')).toEqual({ depth: 3, aliases: 2, rootFields: 2 });
  });

  it('counts root fields that come from fragments', () => {
    expect(measure('{ ...Root a } fragment Root on Query { b c }').rootFields).toBe(3);
  });

  it('counts a fragment used twice twice', () => {
    expect(measure('{ one: a { ...F } two: a { ...F } } fragment F on A { x: b y: c }').aliases).toBe(6);
    expect(measure('{ ...F ...F } fragment F on Query { a: b }')).toEqual({ depth: 1, aliases: 2, rootFields: 2 });
  });

  it('grows with fragments that fan out, without the time blowing up', () => {
    // Each level doubles the aliases: 2^20 of them, measured in linear time.
    const levels = Array.from({ length: 20 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join('\n');
    expect(measure(`{ ...F0 } ${levels} fragment F20 on Query { x: a }`).aliases).toBe(2 ** 20);
  });

  it('finds a self-spreading fragment unbounded', () => {
    expect(measure('{ a { ...F } } fragment F on A { b ...F }')).toEqual({ depth: Infinity, aliases: Infinity, rootFields: 1 });
    expect(measure('{ ...A } fragment A on Query { ...B } fragment B on Query { a ...A }').depth).toBe(Infinity);
  });

  it('measures the given operation only', () => {
    expect(measure('query Small { a } query Big { a { b { c } } }', 'Small')).toEqual({ depth: 1, aliases: 0, rootFields: 1 });
  });

  it('counts an unknown fragment as nothing', () => {
    expect(measure('{ a ...Missing }')).toEqual({ depth: 1, aliases: 0, rootFields: 1 });
  });
});

describe('cachedByText', () => {
  const limits = { queryLength: 100, queryTokens: 20, queryDepth: 3 };
  const counted = () => {
    const texts: string[] = [];
    const check = cachedByText((query: string) => {
      texts.push(query);
      return checkQueryText(query, limits);
    }, 1600);
    return { check, texts };
  };

  it('answers a repeated query text as the check did, refusals included, checking it once', () => {
    const { check, texts } = counted();
    const wide = `{ ${Array.from({ length: 25 }, (_, i) => `f${i}`).join(' ')} }`;
    for (let i = 0; i < 3; i++) {
      expect(check('{ a }')).toBeUndefined();
      expect(check(wide)?.code).toBe('QUERY_TOO_LARGE');
    }
    expect(texts).toEqual(['{ a }', wide]);
  });

  it('keeps no more characters than its bound: the oldest texts are checked again', () => {
    const { check, texts } = counted();
    // 90 characters each: 20 of them are more than the 1600 kept.
    const queries = Array.from({ length: 20 }, (_, i) => `{ f${i} }`.padEnd(90));
    for (const query of queries) check(query);
    check(queries[0]);
    check(queries[19]);
    expect(texts).toEqual([...queries, queries[0]]);
  });
});

describe('checkQueryText', () => {
  const limits = { queryLength: 100, queryTokens: 20, queryDepth: 3 };

  it('accepts a query within every limit', () => {
    expect(checkQueryText('{ a { b { c } } }', limits)).toBeUndefined();
  });

  it('refuses a query longer than queryLength', () => {
    expect(checkQueryText(`{ a }${' '.repeat(96)}`, limits)?.code).toBe('QUERY_TOO_LARGE');
    expect(checkQueryText(`{ a }${' '.repeat(95)}`, limits)).toBeUndefined();
  });

  it('refuses a query of more than queryTokens tokens, comments not counted', () => {
    // "{" + n names + "}": n + 2 tokens.
    const withNames = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `f${i}`).join(' ')} }`;
    // A long queryLength: only the token count can refuse these.
    const tokens = { ...limits, queryLength: 10_000 };
    expect(checkQueryText(withNames(18), tokens)).toBeUndefined();
    expect(checkQueryText(withNames(19), tokens)?.code).toBe('QUERY_TOO_LARGE');
    expect(checkQueryText(`# ${'word '.repeat(30)}\n${withNames(18)}`, tokens)).toBeUndefined();
  });

  it('refuses braces nested deeper than twice the depth limit plus two', () => {
    const nested = (n: number) => `${'{ a '.repeat(n)}${'}'.repeat(n)}`;
    const loose = { queryLength: 10_000, queryTokens: 10_000, queryDepth: 3 };
    expect(checkQueryText(nested(8), loose)).toBeUndefined();
    expect(checkQueryText(nested(9), loose)?.code).toBe('QUERY_TOO_DEEP');
  });

  it('counts nesting, not the total number of braces', () => {
    const siblings = `{ ${Array.from({ length: 30 }, (_, i) => `f${i} { x }`).join(' ')} }`;
    expect(checkQueryText(siblings, { queryLength: 10_000, queryTokens: 10_000, queryDepth: 3 })).toBeUndefined();
  });

  it('leaves a syntax error to the parser', () => {
    expect(checkQueryText('{ a "unterminated', limits)).toBeUndefined();
    expect(checkQueryText('{ a ^ }', limits)).toBeUndefined();
  });
});

describe('jsonDeeperThan', () => {
  it('counts each array or object as one level', () => {
    expect(jsonDeeperThan({ a: [{ b: 1 }] }, 3)).toBe(false);
    expect(jsonDeeperThan({ a: [{ b: {} }] }, 3)).toBe(true);
    expect(jsonDeeperThan([[[]]], 2)).toBe(true);
  });

  it('does not count scalars as a level', () => {
    expect(jsonDeeperThan('text', 0)).toBe(false);
    expect(jsonDeeperThan(null, 0)).toBe(false);
    expect(jsonDeeperThan({ a: 'x', b: null, c: 3 }, 1)).toBe(false);
  });

  it('finds a deep branch beside shallow ones', () => {
    expect(jsonDeeperThan({ shallow: 1, other: [1, 2], deep: { a: { b: { c: {} } } } }, 4)).toBe(true);
  });

  it('handles nesting far deeper than the call stack would allow', () => {
    let value: unknown = {};
    for (let i = 0; i < 100_000; i++) value = [value];
    expect(jsonDeeperThan(value, 64)).toBe(true);
    expect(jsonDeeperThan(value, 200_000)).toBe(false);
  });
});
