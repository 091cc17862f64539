/**
 * An Apollo Server plugin, in the gateway and in every subgraph: tells the
 * request's record how each executed GraphQL operation ended (its type,
 * name, outcome and error codes), which counts it and puts it on the access
 * line. Requests refused before execution (a bad credential) never reach a
 * plugin; the context function records those as refused.
 */
import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { RequestOutcome } from './metrics.js';
import type { RequestRecord } from './request-record.js';

export interface ObservedContext {
  /** The request's record (request-record.ts). */
  request?: RequestRecord;
}

export function operationObserver<TContext extends ObservedContext>(): ApolloServerPlugin<TContext> {
  // One listener for every request: nothing is allocated per request to hook in.
  const listener: GraphQLRequestListener<TContext> = {
    async willSendResponse({ response, contextValue, operation, operationName }) {
      if (response.body.kind !== 'single') return;
      const { data, errors } = response.body.singleResult;
      const outcome: RequestOutcome = !errors?.length ? 'ok' : data ? 'partial' : 'error';
      const codes = errors?.length ? [...new Set(errors.map((error) => String(error.extensions?.code ?? 'UNKNOWN')))] : [];
      contextValue.request?.operation(operation?.operation ?? 'unknown', operationName ?? undefined, outcome, codes);
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
