/**
 * prepareSupergraph: the authorization rules of a composed supergraph, and
 * that supergraph without the SECURITY specs stock @apollo/gateway refuses.
 * Inputs are real supergraphs composed by @apollo/composition.
 */
import { composeServices } from '@apollo/composition';
// What @apollo/gateway itself builds a supergraph with (a dependency of it, pinned to the same version).
import { Supergraph } from '@apollo/federation-internals';
import { parse, type GraphQLObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { prepareSupergraph } from '../../gateway/authorization/prepare-supergraph.js';

const compose = (subgraphs: Record<string, string>): string => {
  const result = composeServices(
    Object.entries(subgraphs).map(([name, typeDefs]) => ({ name, url: `http://${name}.test/graphql`, typeDefs: parse(typeDefs) })),
  );
  if (result.errors) throw new Error(result.errors.map((error) => error.message).join('; '));
  return result.supergraphSdl;
};

/** Builds the supergraph the way the gateway does; throws where the gateway would refuse it. */
const apiSchemaOf = (sdl: string) => Supergraph.build(sdl).apiSchema().toGraphQLJSSchema();

const plain = compose({
  accounts: /* GraphQL */ `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
    type Query { me: User }
    type User @key(fields: "id") { id: ID! name: String! }
  `,
  reviews: /* GraphQL */ `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
    type User @key(fields: "id") { id: ID! reviews: [String!]! }
  `,
});

const secured = compose({
  accounts: /* GraphQL */ `
    extend schema
      @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@authenticated", "@requiresScopes"])
    type Query {
      me: User @authenticated
      users: [User!]! @requiresScopes(scopes: [["admin"], ["support", "read"]])
      vault: Secret
    }
    type User @key(fields: "id") { id: ID! name: String! }
    type Secret @authenticated { code: String! }
  `,
  products: /* GraphQL */ `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@policy"])
    type Query { products: [Product!]! }
    type Product @key(fields: "id") {
      id: ID!
      supplier: String @policy(policies: [["employee"]])
      legacy: String @deprecated(reason: "use supplier")
    }
  `,
});

const SECURED_RULES = {
  'Query.me': [{ kind: 'authenticated' }],
  'Query.users': [{ kind: 'requiresScopes', anyOf: [['admin'], ['support', 'read']] }],
  Secret: [{ kind: 'authenticated' }],
  'Product.supplier': [{ kind: 'policy', anyOf: [['employee']] }],
};

describe('prepareSupergraph', () => {
  it('returns a supergraph without SECURITY links unchanged, with no rules', () => {
    const prepared = prepareSupergraph(plain);
    expect(prepared.supergraphSdl).toBe(plain);
    expect(prepared.rules.size).toBe(0);
  });

  it('reads @authenticated, @requiresScopes and @policy on fields and types', () => {
    expect(Object.fromEntries(prepareSupergraph(secured).rules)).toEqual(SECURED_RULES);
  });

  it('strips the directives, their definitions, their links and their scalars', () => {
    // The composed supergraph does carry them, so their absence below is the stripping.
    for (const name of ['@authenticated', '@requiresScopes', '@policy', 'requiresScopes__Scope', 'policy__Policy', 'for: SECURITY']) {
      expect(secured).toContain(name);
    }
    const { supergraphSdl } = prepareSupergraph(secured);
    for (const name of ['@authenticated', '@requiresScopes', '@policy', 'requiresScopes__Scope', 'policy__Policy', 'for: SECURITY']) {
      expect(supergraphSdl).not.toContain(name);
    }
  });

  it('keeps everything else: join metadata and other directives', () => {
    const { supergraphSdl } = prepareSupergraph(secured);
    expect(supergraphSdl).toContain('@join__field(graph: ACCOUNTS)');
    expect(supergraphSdl).toContain('@deprecated(reason: "use supplier")');
    const query = apiSchemaOf(supergraphSdl).getType('Query') as GraphQLObjectType;
    expect(Object.keys(query.getFields()).sort()).toEqual(['me', 'products', 'users', 'vault']);
  });

  it('turns a supergraph the gateway refuses into one it builds', () => {
    expect(() => apiSchemaOf(secured)).toThrow(/SECURITY/);
    expect(() => apiSchemaOf(prepareSupergraph(secured).supergraphSdl)).not.toThrow();
  });

  it('reads and strips directives imported under another name', () => {
    // Composition requires every subgraph to import a directive under the same name.
    const link = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", { name: "@authenticated", as: "@auth" }])`;
    const sdl = compose({
      accounts: `${link} type Query { me: User @auth } type User @key(fields: "id") { id: ID! }`,
      vault: `${link} type Query { vault: Secret } type Secret @auth { code: String! }`,
    });
    expect(sdl).toContain('@auth');
    const prepared = prepareSupergraph(sdl);
    expect(Object.fromEntries(prepared.rules)).toEqual({ 'Query.me': [{ kind: 'authenticated' }], Secret: [{ kind: 'authenticated' }] });
    expect(prepared.supergraphSdl).not.toMatch(/@auth\b/);
    expect(() => apiSchemaOf(prepared.supergraphSdl)).not.toThrow();
  });

  it('reads and strips the un-imported @federation__ forms', () => {
    const sdl = compose({
      accounts: /* GraphQL */ `
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
        type Query {
          me: String @federation__authenticated
          users: [String!]! @federation__requiresScopes(scopes: [["admin"]])
          staff: String @federation__policy(policies: [["employee"], ["admin", "audit"]])
        }
      `,
    });
    expect(sdl).toContain('@federation__authenticated');
    const prepared = prepareSupergraph(sdl);
    expect(Object.fromEntries(prepared.rules)).toEqual({
      'Query.me': [{ kind: 'authenticated' }],
      'Query.users': [{ kind: 'requiresScopes', anyOf: [['admin']] }],
      'Query.staff': [{ kind: 'policy', anyOf: [['employee'], ['admin', 'audit']] }],
    });
    expect(prepared.supergraphSdl).not.toContain('federation__');
    expect(() => apiSchemaOf(prepared.supergraphSdl)).not.toThrow();
  });

  it("gives an interface field its implementations' rules (composition does; the filter relies on it)", () => {
    const sdl = compose({
      accounts: /* GraphQL */ `
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@requiresScopes"])
        type Query { node(id: ID!): Node }
        interface Node { id: ID! secret: String }
        type User implements Node @key(fields: "id") { id: ID! secret: String @requiresScopes(scopes: [["admin"]]) }
      `,
    });
    const { rules } = prepareSupergraph(sdl);
    expect(rules.get('Node.secret')).toEqual([{ kind: 'requiresScopes', anyOf: [['admin']] }]);
    expect(rules.get('User.secret')).toEqual([{ kind: 'requiresScopes', anyOf: [['admin']] }]);
  });

  it('strips the scalars of a spec linked under another prefix (`as`)', () => {
    const renamed = secured
      .replace('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)', '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", as: "scopes", for: SECURITY)')
      .replaceAll('@requiresScopes', '@scopes')
      .replaceAll('requiresScopes__Scope', 'scopes__Scope');
    expect(renamed).toContain('as: "scopes"');
    const prepared = prepareSupergraph(renamed);
    expect(prepared.rules.get('Query.users')).toEqual(SECURED_RULES['Query.users']);
    expect(prepared.supergraphSdl).not.toContain('scopes__Scope');
    expect(prepared.supergraphSdl).not.toMatch(/@scopes\b/);
    expect(() => apiSchemaOf(prepared.supergraphSdl)).not.toThrow();
  });
});
