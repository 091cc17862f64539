/**
 * One structured access line per HTTP request (pino-http), in every process,
 * and the per-request record the rest of the request writes into.
 *
 * The request id and trace context are settled here, first thing
 * (shared/trace-context.ts), and kept on `req.observed`: the gateway's data
 * source sends them on every subgraph fetch, the subgraph's copy of this
 * middleware reads them back. What the request did — who the caller was,
 * why it was refused, which subgraphs it reached, what was withheld — goes
 * into `req.observed.fields` and out with the one line written when the
 * response ends, so a request costs one info line per process, whatever
 * happened to it.
 *
 * The line never holds headers or bodies: method, path (no query string),
 * status, time, ids, and the fields. A secret needed for correlation (a
 * session id) is logged as shortHash() only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import { fromPino, pinoOf, type LogFields, type Logger } from './logger.js';
import { REQUEST_ID_HEADER, requestIdOf, traceContextOf, type TraceContext } from './trace-context.js';

export class RequestRecord {
  /** Added to this request's access line. */
  readonly fields: LogFields = {};
  private logger: Logger | undefined;

  constructor(
    readonly id: string,
    readonly trace: TraceContext,
    /** The path, without the query string (a GET query is not the log's business). */
    readonly path: string,
    private readonly req: IncomingMessage,
  ) {}

  /** Request-scoped lines (warnings, errors): reqId and traceId on each. Made on first use. */
  get log(): Logger {
    return (this.logger ??= fromPino(this.req.log.child({ traceId: this.trace.traceId })));
  }

  /** Notes that this request reached `subgraph` (the gateway's data source calls this per fetch). */
  reached(subgraph: string): void {
    const list = ((this.fields.subgraphs as string[] | undefined) ??= []);
    if (!list.includes(subgraph)) list.push(subgraph);
  }
}

declare module 'node:http' {
  interface IncomingMessage {
    /** Set by requestLogging() before any route runs. */
    observed?: RequestRecord;
  }
}

export interface RequestLoggingOptions {
  /** Echo the request id to the client (the gateway does: it is what a user quotes to an operator). */
  echoRequestId?: boolean;
}

export function requestLogging(logger: Logger, options: RequestLoggingOptions = {}): RequestHandler {
  const accessLine = (req: IncomingMessage, res: ServerResponse, responseTime: number): LogFields => {
    const record = req.observed!;
    return {
      method: req.method,
      path: record.path,
      status: res.statusCode,
      responseTime,
      traceId: record.trace.traceId,
      spanId: record.trace.spanId,
      ...(record.trace.parentSpanId ? { parentSpanId: record.trace.parentSpanId } : {}),
      ...record.fields,
    };
  };
  const middleware = pinoHttp({
    logger: pinoOf(logger),
    // req.log and the access line carry `reqId` only, not the request object:
    // no headers are ever serialized, so no credential can reach a line.
    quietReqLogger: true,
    quietResLogger: true,
    wrapSerializers: false,
    // pino-http still binds `req` to a logger it makes per request; keep that cheap and header-free.
    serializers: { req: (req: IncomingMessage) => ({ method: req.method }), res: (res: ServerResponse) => ({ status: res.statusCode }) },
    genReqId(req, res) {
      const id = requestIdOf(req.headers);
      if (options.echoRequestId) res.setHeader(REQUEST_ID_HEADER, id);
      const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
      const query = url.indexOf('?');
      req.observed = new RequestRecord(id, traceContextOf(req.headers), query === -1 ? url : url.slice(0, query), req);
      return id;
    },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: () => 'request completed',
    customErrorMessage: () => 'request failed',
    customSuccessObject: (req, res, value: { responseTime: number }) => accessLine(req, res, value.responseTime),
    // A 5xx has no error object of its own (pino-http makes a placeholder); an
    // unhandled error was already logged with its stack by jsonErrorHandler.
    customErrorObject: (req, res, _error, value: { responseTime: number }) => accessLine(req, res, value.responseTime),
  });
  return middleware as unknown as RequestHandler;
}
