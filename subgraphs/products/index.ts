import { parse } from 'graphql';
import { POLICIES } from '../../shared/authorization/policies.js';
import type { SubgraphDefinition } from '../../shared/subgraph-server.js';
import { findProduct, products, type Product } from './data.js';

const typeDefs = parse(/* GraphQL */ `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@requiresScopes", "@policy"])

  type Query {
    products: [Product!]!
    product(id: ID!): Product
  }

  type Product @key(fields: "id") {
    id: ID!
    name: String!
    price: Float!
    "What the product costs us; needs the admin scope."
    cost: Float @requiresScopes(scopes: [["admin"]])
    "Who supplies it; only for employees (the employee policy, shared/authorization/policies.ts)."
    supplier: String @policy(policies: [["employee"]])
  }
`);

/**
 * How many times the `cost` resolver ran in this process: tests read it to
 * prove that an unauthorized `cost` never reached the resolver.
 */
export const costResolverCalls = { count: 0 };

export const productsSubgraph: SubgraphDefinition = {
  name: 'products',
  defaultPort: 4002,
  typeDefs,
  // The policies its schema names (@policy), passed to the kit: the deployment's, as the gateway uses them.
  policies: POLICIES,
  resolvers: {
    Query: {
      products: () => products,
      product: (_root, { id }: { id: string }) => findProduct(id) ?? null,
    },
    Product: {
      __resolveReference: (reference: Pick<Product, 'id'>) => findProduct(reference.id) ?? null,
      // The admin scope is checked by @requiresScopes, at the gateway and again before this runs.
      cost: (product: Product) => {
        costResolverCalls.count++;
        return product.cost;
      },
    },
  },
};
