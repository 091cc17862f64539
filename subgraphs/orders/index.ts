import { parse } from 'graphql';
import type { SubgraphContext, SubgraphDefinition } from '../../shared/subgraph-server.js';
import { ordersOf, type Order } from './data.js';

const typeDefs = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@authenticated"])

  type Order {
    id: ID!
    items: [OrderItem!]!
    total: Float!
    "How it was paid: from the payments service, asked on the caller's behalf (a third hop)."
    payment: Payment @authenticated
  }

  type OrderItem {
    product: Product!
    quantity: Int!
  }

  type Payment {
    status: String!
    "The last four digits of the card."
    last4: String!
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
  // The same call in both modes: the kit carries the caller (an exchanged token, or the session id).
  downstream: { payments: 'http://localhost:4010' },
  resolvers: {
    User: {
      // Owner-only data: no schema rule can say "your own", so the resolver checks.
      orders: (user: { id: string }, _args, { identity }: SubgraphContext) =>
        identity?.kind === 'user' && identity.id === user.id ? ordersOf(user.id) : [],
    },
    Order: {
      payment: (order: Order, _args, context: SubgraphContext) => context.callDownstream('payments', `/payments/${encodeURIComponent(order.id)}`),
    },
    OrderItem: {
      product: (item: Order['items'][number]) => ({ __typename: 'Product', id: item.productId }),
    },
  },
};
