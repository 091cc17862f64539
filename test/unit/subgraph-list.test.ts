/**
 * The subgraph list (SUBGRAPHS_FILE): a non-empty JSON array of
 * `{ "name", "url" }` with token-audience-safe names and credential-free
 * http(s) URLs. Every refusal is a SubgraphListError.
 */
import { describe, expect, it } from 'vitest';
import { parseSubgraphList, subgraphsOf, SubgraphListError, validateSubgraphList } from '../../gateway/supergraph/subgraph-list.js';

const FILE = 'subgraphs.json';

/** The error validateSubgraphList throws for `list`, or undefined. */
const refusal = (list: unknown) => {
  try {
    validateSubgraphList(list, FILE);
    return undefined;
  } catch (error) {
    return error;
  }
};

describe('parseSubgraphList', () => {
  it('reads a valid list', () => {
    const text = JSON.stringify([
      { name: 'accounts', url: 'http://localhost:4001/graphql' },
      { name: 'products-2', url: 'https://products.internal/graphql' },
    ]);
    expect(parseSubgraphList(text, FILE)).toEqual([
      { name: 'accounts', url: 'http://localhost:4001/graphql' },
      { name: 'products-2', url: 'https://products.internal/graphql' },
    ]);
  });

  it('refuses text that is not JSON, naming the file', () => {
    expect(() => parseSubgraphList('[{"name": "a",', FILE)).toThrow(SubgraphListError);
    expect(() => parseSubgraphList('[{"name": "a",', 'custom/list.json')).toThrow(/custom\/list\.json/);
  });

  it('reads the services a subgraph calls, and where its keys are (by default beside it)', () => {
    const text = JSON.stringify([
      { name: 'orders', url: 'http://orders.internal:4004/graphql', downstream: ['payments', 'payments'] },
      { name: 'checkout', url: 'http://checkout.internal/graphql', downstream: ['payments'], jwks: 'https://keys.internal/checkout.json' },
    ]);
    expect(parseSubgraphList(text, FILE)).toEqual([
      { name: 'orders', url: 'http://orders.internal:4004/graphql', downstream: ['payments'], jwks: 'http://orders.internal:4004/.well-known/jwks.json' },
      { name: 'checkout', url: 'http://checkout.internal/graphql', downstream: ['payments'], jwks: 'https://keys.internal/checkout.json' },
    ]);
  });

  it.each([
    ['an empty downstream list', { downstream: [] }],
    ['a downstream name that is not a service name', { downstream: ['Payments'] }],
    ['downstream that is not a list', { downstream: 'payments' }],
    ['jwks without downstream', { jwks: 'http://a.test/jwks.json' }],
    ['a jwks that is not http(s)', { downstream: ['payments'], jwks: 'file:///keys.json' }],
    ['a jwks with credentials', { downstream: ['payments'], jwks: 'https://user:pw@a.test/jwks.json' }],
  ])('refuses %s', (_case, extra) => {
    expect(refusal([{ name: 'orders', url: 'http://a.test/graphql', ...extra }])).toBeInstanceOf(SubgraphListError);
  });

  it('reads a downstream service listed for the services it calls, which is no subgraph', () => {
    const text = JSON.stringify([
      { name: 'orders', url: 'http://orders.internal:4004/graphql', downstream: ['payments'] },
      { name: 'payments', kind: 'service', url: 'http://payments.internal:4010', downstream: ['ledger'] },
      { name: 'accounts', kind: 'subgraph', url: 'http://accounts.internal/graphql' },
    ]);
    const entries = parseSubgraphList(text, FILE);
    expect(entries[1]).toEqual({ kind: 'service', name: 'payments', url: 'http://payments.internal:4010/', downstream: ['ledger'], jwks: 'http://payments.internal:4010/.well-known/jwks.json' });
    expect(subgraphsOf(entries).map((entry) => entry.name)).toEqual(['orders', 'accounts']);
  });

  const accounts = { name: 'accounts', url: 'http://a.test/graphql' };
  it.each([
    ['a service that calls nothing', [accounts, { name: 'payments', kind: 'service', url: 'http://p.test' }]],
    ['an unknown kind', [accounts, { name: 'payments', kind: 'database', url: 'http://p.test' }]],
    ['services only, no subgraph', [{ name: 'payments', kind: 'service', url: 'http://p.test', downstream: ['ledger'] }]],
    ['a service with the name of a subgraph', [accounts, { name: 'accounts', kind: 'service', url: 'http://p.test', downstream: ['ledger'] }]],
  ])('refuses %s', (_case, list) => {
    expect(refusal(list)).toBeInstanceOf(SubgraphListError);
  });

  it('keeps only name and url', () => {
    const text = '[{ "name": "accounts", "url": "http://a.test/graphql", "extra": true }]';
    expect(parseSubgraphList(text, FILE)).toEqual([{ name: 'accounts', url: 'http://a.test/graphql' }]);
  });
});

describe('validateSubgraphList', () => {
  it('normalises each URL as new URL does', () => {
    expect(validateSubgraphList([{ name: 'a', url: 'HTTP://Example.COM:80/graphql' }], FILE)).toEqual([
      { name: 'a', url: 'http://example.com/graphql' },
    ]);
    expect(validateSubgraphList([{ name: 'a', url: 'http://localhost:4001' }], FILE)[0].url).toBe('http://localhost:4001/');
  });

  it('refuses an empty array, and anything but an array', () => {
    for (const list of [[], {}, { name: 'a', url: 'http://a.test' }, 'a', null]) {
      expect(refusal(list)).toBeInstanceOf(SubgraphListError);
    }
  });

  it('refuses an entry that is not an object', () => {
    for (const entry of [null, 'accounts', 42, ['accounts', 'http://a.test']]) {
      expect(refusal([entry])).toBeInstanceOf(SubgraphListError);
    }
  });

  it('accepts names of lowercase letters, digits and "-", starting with a letter, at most 40 long', () => {
    for (const name of ['a', 'accounts', 'a1-b2', 'x'.repeat(40)]) {
      expect(refusal([{ name, url: 'http://a.test' }])).toBeUndefined();
    }
  });

  it('refuses any other name', () => {
    for (const name of ['Accounts', 'x'.repeat(41), '1st', '-a', 'a_b', 'a.b', '', 7, undefined, null]) {
      expect(refusal([{ name, url: 'http://a.test' }]), JSON.stringify(name)).toBeInstanceOf(SubgraphListError);
    }
  });

  it('refuses a name listed twice', () => {
    const entries = (second: string) => [
      { name: 'accounts', url: 'http://a.test' },
      { name: second, url: 'http://b.test' },
    ];
    expect(refusal(entries('accounts'))).toBeInstanceOf(SubgraphListError);
    expect(refusal(entries('reviews'))).toBeUndefined();
  });

  it('refuses a URL that is not http(s)', () => {
    for (const url of ['ftp://a.test/graphql', 'file:///etc/passwd', 'ws://a.test', 'localhost:4001', 'not a url', '', 42, undefined]) {
      expect(refusal([{ name: 'a', url }]), JSON.stringify(url)).toBeInstanceOf(SubgraphListError);
    }
  });

  it('refuses a URL with a user name or password, without echoing it', () => {
    for (const url of ['http://user@a.test/graphql', 'http://user:hunter2@a.test/graphql', 'https://:hunter2@a.test/']) {
      const error = refusal([{ name: 'a', url }]);
      expect(error).toBeInstanceOf(SubgraphListError);
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});
