import { parse } from 'graphql';
import type { IdentityContext } from '@fedgw/subgraph-kit';
import type { SubgraphDefinition } from '../../shared/subgraph-server.js';
import { findUser, users, type User } from './data.js';

const typeDefs = parse(/* GraphQL */ `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@authenticated", "@requiresScopes"])

  type Query {
    "The caller; needs a logged-in user."
    me: User @authenticated
    "Every user; needs the admin scope."
    users: [User!]! @requiresScopes(scopes: [["admin"]])
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
      // context.identity is the kit's: the caller, whichever AUTH_MODE carried it.
      me: (_root, _args, { identity }: IdentityContext) => (identity?.kind === 'user' ? (findUser(identity.id) ?? null) : null),
      // The admin scope is checked by @requiresScopes, before this runs.
      users: () => users,
    },
    User: {
      __resolveReference: (reference: Pick<User, 'id'>) => findUser(reference.id) ?? null,
    },
  },
};
