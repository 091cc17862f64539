import { GraphQLError, parse } from 'graphql';
import { hasScope } from '../../shared/identity.js';
import type { SubgraphDefinition } from '../../shared/subgraph-server.js';
import { findUser, users, type User } from './data.js';

const typeDefs = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

  type Query {
    "The caller; null for an anonymous caller."
    me: User
    "Every user; needs the admin scope."
    users: [User!]!
  }

  type User @key(fields: "id") {
    id: ID!
    username: String!
    name: String!
  }
`);

export const accountsSubgraph: SubgraphDefinition = {
  name: 'accounts',
  defaultPort: 4001,
  typeDefs,
  resolvers: {
    Query: {
      me: (_root, _args, { identity }) => (identity?.kind === 'user' ? (findUser(identity.id) ?? null) : null),
      users: (_root, _args, { identity }) => {
        if (!hasScope(identity, 'admin')) {
          throw new GraphQLError('the admin scope is required', { extensions: { code: 'FORBIDDEN' } });
        }
        return users;
      },
    },
    User: {
      __resolveReference: (reference: Pick<User, 'id'>) => findUser(reference.id) ?? null,
    },
  },
};
