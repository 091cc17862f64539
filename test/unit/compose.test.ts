/**
 * composeSupergraph and the reload log's view of what changed: a composition
 * failure blames the subgraphs it names, narrowed to those changed since the
 * previous supergraph.
 */
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  changedSubgraphs,
  composeSupergraph,
  describeChange,
  SupergraphLoadError,
  type Composed,
  type FetchedSubgraph,
} from '../../gateway/supergraph/compose.js';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';

const subgraph = (name: string, body: string, url = `http://${name}.test/graphql`): FetchedSubgraph => {
  const sdl = `${LINK}\n${body}`;
  return { name, url, sdl, typeDefs: parse(sdl) };
};

const accounts = subgraph('accounts', 'type Query { me: User } type User @key(fields: "id") { id: ID! name: String }');
const reviews = subgraph('reviews', 'type User @key(fields: "id") { id: ID! reviews: [String!]! }');
const products = subgraph('products', 'type Query { products: [String!]! }');

/** What composeSupergraph throws for `services`, as a SupergraphLoadError. */
function failure(services: FetchedSubgraph[], previous?: Composed): SupergraphLoadError {
  try {
    composeSupergraph(services, previous);
  } catch (error) {
    expect(error).toBeInstanceOf(SupergraphLoadError);
    return error as SupergraphLoadError;
  }
  throw new Error('composition unexpectedly succeeded');
}

/** A Composed with these services, without composing (only the services matter to the diffs). */
const composedOf = (...services: FetchedSubgraph[]): Composed => ({
  sdl: '',
  services: new Map(services.map(({ name, url, sdl }) => [name, { url, sdl }])),
});

describe('composeSupergraph', () => {
  it('composes the subgraphs and remembers their URLs and SDLs', () => {
    const composed = composeSupergraph([accounts, reviews]);
    expect(composed.sdl).toContain('ACCOUNTS @join__graph(name: "accounts", url: "http://accounts.test/graphql")');
    expect(composed.sdl).toContain('reviews: [String!]!');
    expect([...composed.services]).toEqual([
      ['accounts', { url: accounts.url, sdl: accounts.sdl }],
      ['reviews', { url: reviews.url, sdl: reviews.sdl }],
    ]);
  });

  it('fails with COMPOSITION_FAILED, the composition codes, and the subgraphs the errors name', () => {
    const clash = subgraph('reviews', 'type Query { me: Int }');
    const error = failure([accounts, clash, products]);
    expect(error.code).toBe('COMPOSITION_FAILED');
    expect(error.codes).toContain('FIELD_TYPE_MISMATCH');
    expect(error.subgraphs.sort()).toEqual(['accounts', 'reviews']);
    expect(error.message).not.toContain('\n');
  });

  it('narrows the blame to the named subgraphs that changed since the previous supergraph', () => {
    const previous = composeSupergraph([accounts, reviews, products]);
    const clash = subgraph('reviews', 'type Query { me: Int }');
    expect(failure([accounts, clash, products], previous).subgraphs).toEqual(['reviews']);
  });

  it('blames every named subgraph when nothing changed since the previous supergraph', () => {
    const clash = subgraph('reviews', 'type Query { me: Int }');
    const previous = composedOf(accounts, clash, products);
    expect(failure([accounts, clash, products], previous).subgraphs.sort()).toEqual(['accounts', 'reviews']);
  });

  it('blames the changed subgraphs when none of them is named', () => {
    const previous = composeSupergraph([accounts, reviews, products]);
    const clash = subgraph('reviews', 'type Query { me: Int }');
    // products changed too, but the errors name only accounts and reviews: of those, reviews changed.
    const changedProducts = subgraph('products', 'type Query { products: [String!]! count: Int }');
    expect(failure([accounts, clash, changedProducts], previous).subgraphs).toEqual(['reviews']);
    // Here the named subgraphs (accounts, reviews) are unchanged, so the changed one is blamed.
    const before = composedOf(accounts, clash, products);
    expect(failure([accounts, clash, changedProducts], before).subgraphs).toEqual(['products']);
  });
});

describe('changedSubgraphs', () => {
  it('names the subgraphs whose SDL or URL differ, added and removed ones included', () => {
    const before = composedOf(accounts, reviews, products);
    const after = composedOf(
      accounts,
      subgraph('reviews', 'type User @key(fields: "id") { id: ID! reviews: [String] }'),
      subgraph('orders', 'type Query { orders: [ID!]! }'),
    );
    expect(changedSubgraphs(before, after).sort()).toEqual(['orders', 'products', 'reviews']);
  });

  it('sees a URL change alone', () => {
    const moved = { ...accounts, url: 'http://elsewhere.test/graphql' };
    expect(changedSubgraphs(composedOf(accounts), composedOf(moved))).toEqual(['accounts']);
  });

  it('is empty when nothing changed', () => {
    expect(changedSubgraphs(composedOf(accounts, reviews), composedOf(reviews, accounts))).toEqual([]);
  });
});

describe('describeChange', () => {
  it('says what was added, removed and changed', () => {
    const before = composedOf(accounts, reviews);
    const after = composedOf({ ...accounts, url: 'http://elsewhere.test/graphql' }, products);
    expect(describeChange(before, after)).toBe('added products; removed reviews; changed accounts');
  });

  it('leaves out the parts with nothing in them', () => {
    expect(describeChange(composedOf(accounts), composedOf(accounts, products))).toBe('added products');
  });

  it('says so when nothing changed', () => {
    expect(describeChange(composedOf(accounts), composedOf(accounts))).toBe('no subgraph changed');
  });
});
