/**
 * The auth trace's hooks into @apollo/gateway and Apollo Server (the trace
 * itself: shared/observability/auth-trace.ts). With AUTH_TRACE on, each
 * client request's context carries a recorder; the subgraph client reports
 * each fetch through traceFetch/carrierNote, the planner's plan arrives
 * through didResolveQueryPlan, and the plugin puts the finished trace on the
 * response. With it off, none of this is installed and a fetch only checks
 * that its context has no recorder.
 */
import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { Experimental_DidResolveQueryPlanCallback } from '@apollo/gateway';
import { GraphQLDataSourceRequestKind, type GraphQLDataSourceProcessOptions } from '@apollo/gateway/dist/datasources/types.js';
import { prettyFormatQueryPlan } from '@apollo/query-planner';
import { AUTH_TRACE_EXTENSION, type CarrierNote, type FetchRecorder, type TracedFetch } from '../shared/observability/auth-trace.js';
import type { GatewayContext } from './subgraph-client.js';

type FetchOptions = GraphQLDataSourceProcessOptions<GatewayContext>;

/** The fetch each running data-source call belongs to: process() and willSendRequest() get the same options object. */
const running = new WeakMap<FetchOptions, FetchRecorder>();

function kindOf(request: FetchOptions['request']): TracedFetch['kind'] {
  if (request.variables?.representations !== undefined) return 'entities';
  return request.query?.trimStart().startsWith('mutation') ? 'mutation' : 'query';
}

/** Starts the trace of one fetch to `subgraph`, when the request is traced. */
export function traceFetch(options: FetchOptions, subgraph: string): FetchRecorder | undefined {
  if (options.kind !== GraphQLDataSourceRequestKind.INCOMING_OPERATION || !options.context.trace) return undefined;
  const fetch = options.context.trace.fetch(subgraph, kindOf(options.request), options.pathInIncomingRequest?.join('.') ?? '');
  running.set(options, fetch);
  return fetch;
}

/** Where the propagation tells what carried the caller on this fetch; undefined when it is not traced. */
export function carrierNote(options: FetchOptions): CarrierNote | undefined {
  return options.kind === GraphQLDataSourceRequestKind.INCOMING_OPERATION && options.context.trace ? running.get(options) : undefined;
}

/** The status of a subgraph's HTTP error, as RemoteGraphQLDataSource reports it (extensions.response). */
function failedStatus(error: unknown): number | null {
  const status = (error as { extensions?: { response?: { status?: unknown } } } | null)?.extensions?.response?.status;
  return typeof status === 'number' ? status : null;
}

type Answer = { http?: { status?: number; headers: { get(name: string): string | null } } };

/** Waits for the fetch and notes how it ended; the answer or the error passes through unchanged. */
export async function followFetch<T extends Answer>(fetch: FetchRecorder, answer: Promise<T>): Promise<T> {
  try {
    const response = await answer;
    if (response.http?.status !== undefined) fetch.answered(response.http.status, response.http.headers);
    else fetch.failed(null);
    return response;
  } catch (error) {
    fetch.failed(failedStatus(error));
    throw error;
  }
}

/** ApolloGateway's `experimental_didResolveQueryPlan`: the plan of a traced request, pretty-printed by the planner if sent. */
export const tracePlan: Experimental_DidResolveQueryPlanCallback = ({ queryPlan, requestContext }) => {
  (requestContext.context as GatewayContext).trace?.planned(() => prettyFormatQueryPlan(queryPlan));
};

/** Puts the finished trace on each traced response as `extensions.authTrace`. */
export function authTraceExtension(): ApolloServerPlugin<GatewayContext> {
  // One listener for every request: nothing is allocated per request to hook in.
  const listener: GraphQLRequestListener<GatewayContext> = {
    async willSendResponse({ response, contextValue }) {
      if (response.body.kind !== 'single' || !contextValue.trace) return;
      const result = response.body.singleResult;
      result.extensions = { ...result.extensions, [AUTH_TRACE_EXTENSION]: contextValue.trace.finish() };
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
