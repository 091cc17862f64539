/**
 * What this repository's subgraphs and downstream services call a downstream
 * service with: `context.callDownstream('payments', '/payments/o1')` in a
 * resolver, `calls.get('ledger', '/ledger/o1')` in a downstream service's
 * route. The kit's downstream calls carry the caller (an exchanged token or
 * the session id, by mode); this adds the request's id and trace (a child
 * span), so the service logs the same ids, and turns a refusal into a coded
 * error: a field error in a subgraph (never an HTTP error of the whole
 * response), the service's code and status passed on by a downstream service.
 * A service that calls others serves its own public key too (token mode).
 */
import type { JSONWebKeySet } from 'jose';
import { GraphQLError } from 'graphql';
import { CodedError, type DownstreamCalls } from '@fedgw/subgraph-kit';
import type { RequestRecord } from './observability/request-record.js';
import { childTraceparent, REQUEST_ID_HEADER, TRACEPARENT_HEADER } from './observability/trace-context.js';
import { get, type Route } from './service/app.js';

/** GETs `path` on `service` as the caller: the JSON body of a 200, else a DownstreamCallError (a GraphQLError in a resolver). */
export type CallDownstream = <T = unknown>(service: string, path: string) => Promise<T>;

/** A call that did not answer 200: the service's own code and status, else TOKEN_EXCHANGE_FAILED, DOWNSTREAM_UNAVAILABLE (502) or DOWNSTREAM_ERROR (502: no code of its own). */
export class DownstreamCallError extends CodedError {
  constructor(
    code: string,
    status: number,
    message: string,
    readonly service: string,
  ) {
    super(code, status, message);
    this.name = 'DownstreamCallError';
  }
}

export function downstreamCaller(calls: DownstreamCalls | undefined, urls: Readonly<Record<string, string>>, record: RequestRecord): CallDownstream {
  return async <T>(service: string, path: string): Promise<T> => {
    const base = urls[service];
    if (!calls || base === undefined) throw new TypeError(`${JSON.stringify(service)} is not among this service's downstream services`);
    let response: Response;
    try {
      response = await calls.fetch(service, `${base}${path}`, { headers: { [REQUEST_ID_HEADER]: record.id, [TRACEPARENT_HEADER]: childTraceparent(record.trace) } });
    } catch (error) {
      if (error instanceof CodedError) throw new DownstreamCallError(error.code, error.status, error.message, service);
      throw error;
    }
    const body = (await response.json().catch(() => null)) as { error?: { code?: unknown; message?: unknown } } | null;
    if (response.status === 200 && body !== null) return body as T;
    const message = `${service} answered ${response.status}${typeof body?.error?.message === 'string' ? `: ${body.error.message}` : ''}`;
    if (typeof body?.error?.code === 'string') throw new DownstreamCallError(body.error.code, response.status, message, service);
    throw new DownstreamCallError('DOWNSTREAM_ERROR', 502, message, service);
  };
}

/** For resolvers: a failed call fails its field only, with the service's code; the rest of the answer stands. */
export function fieldCaller(call: CallDownstream): CallDownstream {
  return async <T>(service: string, path: string): Promise<T> => {
    try {
      return await call<T>(service, path);
    } catch (error) {
      if (error instanceof DownstreamCallError) throw new GraphQLError(error.message, { extensions: { code: error.code, service } });
      throw error;
    }
  };
}

/** GET /.well-known/jwks.json: a service's own public key (it calls downstream services); the gateway checks its token-exchange requests with it. */
export function jwksRoute(jwks: JSONWebKeySet): Route {
  return get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(jwks);
  });
}
