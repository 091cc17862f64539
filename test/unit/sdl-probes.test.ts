/**
 * What the conformance checker reads from a subgraph's SDL
 * (scripts/lib/sdl-probes.ts): a real `_entities` representation, and a
 * query reaching an `@authenticated` field.
 */
import { describe, expect, it } from 'vitest';
import { authenticatedProbe, entityProbe, PLACEHOLDER } from '../../scripts/lib/sdl-probes.js';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@authenticated", "@requiresScopes"])';

describe('entityProbe', () => {
  it('fills the first resolvable entity’s key fields with placeholders of their types', () => {
    const sdl = `${LINK}
      type Product @key(fields: "id", resolvable: false) { id: ID! }
      enum Region { EU US }
      type Org { id: ID! }
      type Stock @key(fields: "sku count region org { id } tags") { sku: String! count: Int! region: Region! org: Org! tags: [String!]! }`;
    expect(entityProbe(sdl)).toEqual({
      typename: 'Stock',
      representation: { __typename: 'Stock', sku: PLACEHOLDER, count: 0, region: 'EU', org: { id: PLACEHOLDER }, tags: [PLACEHOLDER] },
    });
  });

  it('reads a key on a type extension, and a directive not imported (@federation__key)', () => {
    expect(entityProbe('extend type User @key(fields: "id") { id: ID! @external orders: [String] }')?.representation).toEqual({ __typename: 'User', id: PLACEHOLDER });
    expect(entityProbe('type Note @federation__key(fields: "id") { id: ID! }')?.typename).toBe('Note');
  });

  it('has none without a resolvable entity, or for SDL that does not parse', () => {
    expect(entityProbe(`${LINK} type Query { hello: String }`)).toBeUndefined();
    expect(entityProbe('type Product @key(fields: "id", resolvable: false) { id: ID! }')).toBeUndefined();
    expect(entityProbe('type {')).toBeUndefined();
  });
});

describe('authenticatedProbe', () => {
  it('asks a root field that needs a signed-in caller, selecting __typename of an object', () => {
    expect(authenticatedProbe(`${LINK} type Query { users: [User!]! @requiresScopes(scopes: [["admin"]]) me: User @authenticated } type User @key(fields: "id") { id: ID! }`)).toBe('{ me { __typename } }');
    expect(authenticatedProbe(`${LINK} type Query { whoami: String @authenticated }`)).toBe('{ whoami }');
  });

  it('finds one further down, through fields without required arguments', () => {
    const sdl = `${LINK}
      type Query { widget(id: ID!): Widget widgets(first: Int = 10): [Widget!]! }
      type Widget { id: ID! seenBy: String @authenticated secret: String @authenticated @requiresScopes(scopes: [["admin"]]) }`;
    expect(authenticatedProbe(sdl)).toBe('{ widgets { seenBy } }');
  });

  it('has none when no such field is reachable', () => {
    expect(authenticatedProbe(`${LINK} type Query { things: [Thing!]! } type Thing @key(fields: "id") { id: ID! }`)).toBeUndefined();
    expect(authenticatedProbe(`${LINK} type Mutation { addReview(body: String!): String @authenticated } type Query { a: String }`)).toBeUndefined();
    expect(authenticatedProbe('not sdl')).toBeUndefined();
  });
});
