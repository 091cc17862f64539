import { GraphQLError, parse } from 'graphql';
import type { IdentityContext } from '@fedgw/subgraph-kit';
import type { SubgraphDefinition } from '../../shared/subgraph-server.js';
import { addReview, reviewsByAuthor, reviewsOfProduct, type Review } from './data.js';

const typeDefs = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@authenticated"])

  type Review {
    id: ID!
    body: String!
    author: User!
    product: Product!
    "True when the caller wrote this review."
    mine: Boolean!
  }

  type Product @key(fields: "id") {
    id: ID!
    reviews: [Review!]!
  }

  type User @key(fields: "id") {
    id: ID!
    reviews: [Review!]!
  }

  type Mutation {
    "Adds a review written by the caller; needs a logged-in user."
    addReview(productId: ID!, body: String!): Review! @authenticated
  }
`);

const MAX_BODY_LENGTH = 2000;

export const reviewsSubgraph: SubgraphDefinition = {
  name: 'reviews',
  defaultPort: 4003,
  typeDefs,
  resolvers: {
    Product: {
      reviews: (product: { id: string }) => reviewsOfProduct(product.id),
    },
    User: {
      reviews: (user: { id: string }) => reviewsByAuthor(user.id),
    },
    Review: {
      author: (review: Review) => ({ __typename: 'User', id: review.authorId }),
      product: (review: Review) => ({ __typename: 'Product', id: review.productId }),
      mine: (review: Review, _args, { identity }: IdentityContext) => identity?.kind === 'user' && identity.id === review.authorId,
    },
    Mutation: {
      addReview: (_root, args: { productId: string; body: string }, { identity }: IdentityContext) => {
        // @authenticated has checked, before this runs, that the caller is a logged-in user.
        const author = identity!;
        const body = args.body.trim();
        if (body === '' || body.length > MAX_BODY_LENGTH) {
          throw new GraphQLError(`a review body has 1 to ${MAX_BODY_LENGTH} characters`, {
            extensions: { code: 'BAD_USER_INPUT' },
          });
        }
        return addReview({ productId: args.productId, authorId: author.id, body });
      },
    },
  },
};
