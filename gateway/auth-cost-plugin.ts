/**
 * Outside production, every GraphQL response carries `extensions.authCost`:
 * subgraph fetches, identity tokens signed and verified, session-store reads
 * — the price of the current auth mode for this one request.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from './subgraph-client.js';

export function authCostExtension(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single' || !contextValue.cost) return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, authCost: contextValue.cost };
        },
      };
    },
  };
}
