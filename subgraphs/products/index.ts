import { GraphQLError, parse } from 'graphql';
import { hasScope } from '../../shared/identity.js';
import type { SubgraphDefinition } from '../../shared/subgraph-server.js';
import { findProduct, products, type Product } from './data.js';

const typeDefs = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

  type Query {
    products: [Product!]!
    product(id: ID!): Product
  }

  type Product @key(fields: "id") {
    id: ID!
    name: String!
    price: Float!
    "What the product costs us; needs the admin scope."
    cost: Float
  }
`);

export const productsSubgraph: SubgraphDefinition = {
  name: 'products',
  defaultPort: 4002,
  typeDefs,
  resolvers: {
    Query: {
      products: () => products,
      product: (_root, { id }: { id: string }) => findProduct(id) ?? null,
    },
    Product: {
      __resolveReference: (reference: Pick<Product, 'id'>) => findProduct(reference.id) ?? null,
      cost: (product: Product, _args, { identity }) => {
        if (!hasScope(identity, 'admin')) {
          throw new GraphQLError('the admin scope is required', { extensions: { code: 'FORBIDDEN' } });
        }
        return product.cost;
      },
    },
  },
};
