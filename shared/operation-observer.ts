/**
 * An Apollo Server plugin, in the gateway and in every subgraph: counts each
 * executed GraphQL request by operation type and outcome, and adds the
 * operation and its error codes to the request's access line. Requests
 * refused before execution (a bad credential) never reach a plugin; the
 * context function counts those as `refused`.
 */
import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { CommonMetrics, RequestOutcome } from './metrics.js';
import type { RequestRecord } from './request-log.js';

export interface ObservedContext {
  /** The request's record (shared/request-log.ts); absent for the gateway's own fetches. */
  request?: RequestRecord;
}

export function operationObserver<TContext extends ObservedContext>(metrics: CommonMetrics): ApolloServerPlugin<TContext> {
  // One listener for every request: nothing is allocated per request to hook in.
  const listener: GraphQLRequestListener<TContext> = {
    async willSendResponse({ response, contextValue, operation, operationName }) {
      if (response.body.kind !== 'single') return;
      const { data, errors } = response.body.singleResult;
      const outcome: RequestOutcome = !errors?.length ? 'ok' : data ? 'partial' : 'error';
      const type = operation?.operation ?? 'unknown';
      metrics.request(type, outcome);
      const record = contextValue.request;
      if (!record) return;
      record.fields.operation = { type, ...(operationName ? { name: operationName } : {}), outcome };
      if (errors?.length) record.fields.errorCodes = [...new Set(errors.map((error) => String(error.extensions?.code ?? 'UNKNOWN')))];
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
