/**
 * The gateway's subgraph client. Every fetch — incoming operation, health
 * check, schema loading — goes through willSendRequest, which strips any
 * identity header and adds the one the propagation strategy gives for the
 * caller. Schema loading and health checks have no user: they carry the
 * gateway's own identity.
 *
 * Every fetch also carries a request id and a W3C traceparent: a client
 * operation's own (a child span of it), so each subgraph logs the same ids;
 * the gateway's own fetches get fresh ones, logged here at debug.
 */
import { RemoteGraphQLDataSource } from '@apollo/gateway';
// The request kinds are not re-exported from the package root.
import { GraphQLDataSourceRequestKind, type GraphQLDataSourceProcessOptions } from '@apollo/gateway/dist/datasources/types.js';
import type { Caller, IdentityPropagation } from '../shared/auth-modes/contract.js';
import { addSubgraphCost, type AuthCost } from '../shared/observability/auth-cost.js';
import type { AuthTraceRecorder } from '../shared/observability/auth-trace.js';
import type { Logger } from '../shared/observability/logger.js';
import type { GatewayMetrics } from '../shared/observability/metrics.js';
import type { RequestRecord } from '../shared/observability/request-record.js';
import { childTraceparent, newRequestId, newTrace, REQUEST_ID_HEADER, TRACEPARENT_HEADER } from '../shared/observability/trace-context.js';
import { AUTH_COST_HEADER } from '@fedgw/subgraph-kit';
import { withRequestProofs, type ProofSigner } from '@fedgw/subgraph-kit/request-proof';
import { carrierNote, followFetch, traceFetch } from './auth-trace.js';
import { errorFromAnswer, failedFetchAnswer, jsonBody, unavailableOnThrow } from './subgraph-failure.js';
import { subgraphFetch } from './subgraph-fetcher.js';

/**
 * Headers that carry identity. The gateway deletes all of them from every
 * subgraph request before adding its own, so nothing a client sent survives.
 */
export const IDENTITY_HEADERS = ['authorization', 'cookie', 'x-session-id', 'x-user-id', 'x-identity', 'x-forwarded-user'];

/** The data source's fetcher type (from @apollo/utils.fetcher, not a direct dependency). */
type Fetcher = NonNullable<NonNullable<ConstructorParameters<typeof RemoteGraphQLDataSource>[0]>['fetcher']>;

export interface GatewayContext {
  caller: Caller;
  /** What authentication cost this request, across every process (shared/observability/auth-cost.ts). */
  cost: AuthCost;
  /** The client request's id, trace and record (shared/observability/request-record.ts). */
  request?: RequestRecord;
  /** With AUTH_TRACE on: how identity travelled for this request (shared/observability/auth-trace.ts). */
  trace?: AuthTraceRecorder;
}

export interface DataSourceObservability {
  metrics: GatewayMetrics;
  logger: Logger & { debug?(message: string, fields?: Record<string, unknown>): void };
}

export class IdentityDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly subgraphName: string,
    url: string,
    private readonly propagation: IdentityPropagation,
    private readonly gatewayCaller: Caller,
    private readonly observability?: DataSourceObservability,
    /** Request binding (REQUEST_BINDING=on): every fetch carries a request proof, signed here. */
    binding?: ProofSigner,
  ) {
    // undici's request over a keep-alive pool (./subgraph-fetcher.ts) instead of the default
    // make-fetch-happen or Node's fetch: it honours the subgraph's Keep-Alive timeout hint (no
    // "socket hang up" on reuse, apollographql/federation#2313) and skips fetch's web streams.
    // A fetch that gets no answer at all is a SubgraphUnavailableError (./subgraph-failure.ts).
    const network = unavailableOnThrow(subgraphFetch as unknown as Fetcher);
    // The proof is made from the exact body and headers sent, so it is signed last, in the fetcher.
    super({ url, fetcher: binding ? withRequestProofs(network, subgraphName, binding) : network });
  }

  override process(options: GraphQLDataSourceProcessOptions<GatewayContext>): ReturnType<RemoteGraphQLDataSource<GatewayContext>['process']> {
    // The auth trace, when this request has one (gateway/auth-trace.ts).
    const traced = traceFetch(options, this.subgraphName);
    return traced ? followFetch(traced, this.timedProcess(options)) : this.timedProcess(options);
  }

  /**
   * Times each fetch of a client operation, per subgraph (the identity header included). A failed
   * one answers SUBGRAPH_UNAVAILABLE at the fields it was for, or the subgraph's own errors
   * (./subgraph-failure.ts); the gateway's own fetches (schema loading) still throw.
   */
  private async timedProcess(options: GraphQLDataSourceProcessOptions<GatewayContext>): ReturnType<RemoteGraphQLDataSource<GatewayContext>['process']> {
    if (options.kind !== GraphQLDataSourceRequestKind.INCOMING_OPERATION) return super.process(options);
    const done = this.observability?.metrics.subgraphFetch(this.subgraphName);
    try {
      const response = await super.process(options);
      done?.(false);
      return response;
    } catch (error) {
      done?.(true);
      return failedFetchAnswer(this.subgraphName, options, options.context.request, error);
    }
  }

  /** A non-2xx answer: never Apollo's default, which puts the subgraph's URL in the error. */
  override errorFromResponse(response: Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0]) {
    return errorFromAnswer(response);
  }

  override parseBody(response: Parameters<RemoteGraphQLDataSource['parseBody']>[0]) {
    return jsonBody(response);
  }

  override async willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const headers = options.request.http!.headers;
    for (const name of IDENTITY_HEADERS) headers.delete(name);
    const incoming = options.kind === GraphQLDataSourceRequestKind.INCOMING_OPERATION;
    const caller = incoming ? options.context.caller : this.gatewayCaller;
    const cost = incoming ? options.context.cost : undefined;
    if (cost) cost.subgraphFetches++;
    const request = incoming ? options.context.request : undefined;
    if (request) {
      headers.set(REQUEST_ID_HEADER, request.id);
      headers.set(TRACEPARENT_HEADER, childTraceparent(request.trace));
      request.reached(this.subgraphName);
    } else {
      // Schema loading, health checks: the gateway's own request, with ids of its own.
      const id = newRequestId();
      const trace = newTrace();
      headers.set(REQUEST_ID_HEADER, id);
      headers.set(TRACEPARENT_HEADER, childTraceparent(trace));
      this.observability?.logger.debug?.('subgraph fetch by the gateway', { reqId: id, traceId: trace.traceId, subgraph: this.subgraphName, kind: options.kind });
    }
    for (const [name, value] of Object.entries(await this.propagation.headersFor(this.subgraphName, caller, cost, carrierNote(options)))) {
      headers.set(name, value);
    }
  }

  override async didReceiveResponse({ response, context }: Parameters<NonNullable<RemoteGraphQLDataSource<GatewayContext>['didReceiveResponse']>>[0]) {
    // Schema loading has no per-request cost to add to.
    if (context.cost) addSubgraphCost(context.cost, response.http?.headers.get(AUTH_COST_HEADER));
    return response;
  }
}
