/**
 * What a resolver of this repository's subgraphs calls a downstream service
 * with: `context.callDownstream('payments', '/payments/o1')`. The kit's
 * downstream calls carry the caller (an exchanged token or the session id,
 * by mode); this adds the request's id and trace (a child span), so the
 * service logs the same ids, and turns a refusal into a field error with the
 * service's own code — never an HTTP error of the whole subgraph response.
 */
import { GraphQLError } from 'graphql';
import { CodedError, type DownstreamCalls } from '@fedgw/subgraph-kit';
import type { RequestRecord } from './observability/request-record.js';
import { childTraceparent, REQUEST_ID_HEADER, TRACEPARENT_HEADER } from './observability/trace-context.js';

/** GETs `path` on `service` as the caller: the JSON body of a 200, else a GraphQLError with the service's code. */
export type CallDownstream = <T = unknown>(service: string, path: string) => Promise<T>;

export function downstreamCaller(calls: DownstreamCalls | undefined, urls: Readonly<Record<string, string>>, record: RequestRecord): CallDownstream {
  return async <T>(service: string, path: string): Promise<T> => {
    const base = urls[service];
    if (!calls || base === undefined) throw new TypeError(`${JSON.stringify(service)} is not among this subgraph's downstream services`);
    let response: Response;
    try {
      response = await calls.fetch(service, `${base}${path}`, { headers: { [REQUEST_ID_HEADER]: record.id, [TRACEPARENT_HEADER]: childTraceparent(record.trace) } });
    } catch (error) {
      // TOKEN_EXCHANGE_FAILED, DOWNSTREAM_UNAVAILABLE: this field fails, the rest of the answer stands.
      if (error instanceof CodedError) throw new GraphQLError(error.message, { extensions: { code: error.code, service } });
      throw error;
    }
    const body = (await response.json().catch(() => null)) as { error?: { code?: unknown; message?: unknown } } | null;
    if (response.status === 200 && body !== null) return body as T;
    const code = typeof body?.error?.code === 'string' ? body.error.code : 'DOWNSTREAM_ERROR';
    throw new GraphQLError(`${service} answered ${response.status}${typeof body?.error?.message === 'string' ? `: ${body.error.message}` : ''}`, { extensions: { code, service } });
  };
}
