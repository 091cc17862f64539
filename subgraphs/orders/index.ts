import { parse } from 'graphql';
import type { IdentityContext } from '@fedgw/subgraph-kit';
import type { SubgraphDefinition } from '../../shared/subgraph-server.js';
import { ordersOf, type Order } from './data.js';

const typeDefs = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

  type Order {
    id: ID!
    items: [OrderItem!]!
    total: Float!
  }

  type OrderItem {
    product: Product!
    quantity: Int!
  }

  type Product @key(fields: "id", resolvable: false) {
    id: ID!
  }

  type User @key(fields: "id") {
    id: ID!
    "The user's orders, visible to that user only: empty for anyone else."
    orders: [Order!]!
  }
`);

export const ordersSubgraph: SubgraphDefinition = {
  name: 'orders',
  defaultPort: 4004,
  typeDefs,
  resolvers: {
    User: {
      // Owner-only data: no schema rule can say "your own", so the resolver checks.
      orders: (user: { id: string }, _args, { identity }: IdentityContext) =>
        identity?.kind === 'user' && identity.id === user.id ? ordersOf(user.id) : [],
    },
    OrderItem: {
      product: (item: Order['items'][number]) => ({ __typename: 'Product', id: item.productId }),
    },
  },
};
