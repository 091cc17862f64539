/**
 * The gateway's memory of filtered operations (gateway/authorization/filter-cache.ts):
 * keyed by the parsed operation and every identity fact a rule can read, so
 * a decision is never reused for a caller whose facts differ in anything.
 */
import { parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { Identity } from '@fedgw/subgraph-kit';
import { FilterCache, identityFacts, type CachedFiltering } from '../../gateway/authorization/filter-cache.js';

const entry = (typenameKey: string): CachedFiltering => ({ filtered: { removed: false, document: null, typenameKey }, denials: [] });

describe('identityFacts', () => {
  it('tells apart callers who differ in kind, id, scopes or any other field, nested ones included', () => {
    const alice: Identity = { kind: 'user', id: 'u1', scopes: ['admin'] };
    const variants: unknown[] = [
      null,
      alice,
      { ...alice, id: 'u2' },
      { ...alice, kind: 'gateway' },
      { ...alice, scopes: [] },
      { ...alice, scopes: ['admin', 'read'] },
      { ...alice, extra: { a: 1 } },
      { ...alice, extra: [['a', 1]] },
      { ...alice, extra: ['o', ['a', 1]] },
    ];
    const facts = variants.map((identity) => identityFacts(identity as Identity | null));
    expect(new Set(facts).size).toBe(variants.length);
  });

  it('gives the same facts whatever the order of the fields', () => {
    expect(identityFacts({ kind: 'user', id: 'u1', scopes: ['a'] })).toBe(identityFacts({ scopes: ['a'], id: 'u1', kind: 'user' } as Identity));
  });
});

describe('FilterCache', () => {
  it('answers only for the same document, operation and facts', () => {
    const cache = new FilterCache();
    const document = parse('query A { a } query B { b }');
    const [a, b] = document.definitions as OperationDefinitionNode[];
    const facts = identityFacts({ kind: 'user', id: 'u1', scopes: [] });
    cache.set(document, a, facts, entry('one'));
    expect(cache.get(document, a, facts)?.filtered.typenameKey).toBe('one');
    expect(cache.get(document, b, facts)).toBeUndefined();
    expect(cache.get(parse('query A { a } query B { b }'), a, facts)).toBeUndefined();
    expect(cache.get(document, a, identityFacts({ kind: 'user', id: 'u2', scopes: [] }))).toBeUndefined();
    expect(cache.get(document, a, identityFacts(null))).toBeUndefined();
  });
});
