/**
 * The record of one HTTP request, in every process: its id and trace, what
 * happened to it — who the caller was, why it was refused, which subgraphs it
 * reached, what was withheld — written through the verbs below. Each verb
 * moves the matching metrics and notes the matching access-line fields; the
 * one access line per request is written when the response ends (or its
 * connection closes first).
 * Nothing outside this file touches log fields or counters for an auth
 * decision.
 *
 * The request id and trace context are settled first thing (trace-context.ts)
 * and kept on `req.observed`: the gateway's subgraph client sends them on
 * every fetch, a subgraph's copy of this middleware reads them back.
 *
 * The line never holds headers or bodies: method, path (no query string),
 * status, time, ids, and the fields. A secret needed for correlation (a
 * session id) is logged as shortHash() only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { AuthErrorCode, Identity, SubgraphCost } from '@fedgw/subgraph-kit';
import type { AnyPublicError, OAuthErrorCode, PublicErrorCode } from '../errors.js';
import type { Logger as PinoLogger } from 'pino';
import { fromPino, pinoOf, shortHash, type LogFields, type Logger } from './logger.js';
import type { AuthMethod, CommonMetrics, GatewayMetrics, RequestOutcome, SubgraphMetrics, UnavailableReason } from './metrics.js';
import { REQUEST_ID_HEADER, requestIdOf, traceContextOf, type TraceContext } from './trace-context.js';

/** What a process adds to a request's access line. */
export interface AccessLineFields {
  /** The caller's user id (the gateway's issuer for its own calls); null: anonymous. */
  user?: string | null;
  /** shortHash() of the session id the request carried. */
  session?: string;
  /** Why the request was refused. */
  authCode?: PublicErrorCode | OAuthErrorCode;
  login?: 'ok' | 'refused';
  /** POST /auth/token: the grant_type asked for, and how it ended. */
  grant?: { type: string; outcome: 'ok' | 'refused' };
  /** Which login limit refused it. */
  limit?: 'ip' | 'username';
  /** The subgraphs the gateway fetched from for this request. */
  subgraphs?: string[];
  /** The subgraphs that did not answer one of its fetches (SUBGRAPH_UNAVAILABLE). */
  unavailable?: string[];
  /** Fields withheld from the caller: `Type.field @directive`. */
  denied?: string[];
  /** A downstream service, token mode: the services acting for the caller, the one that called first (the token's `act`). */
  act?: string[];
  operation?: { type: string; name?: string; outcome: RequestOutcome };
  /** The distinct error codes of the GraphQL response. */
  errorCodes?: string[];
}

/** The counters a record moves: the process's own metrics. */
export type RecordMetrics = CommonMetrics & Partial<Pick<SubgraphMetrics, 'verified' | 'verifyFailure'>> & Partial<Pick<GatewayMetrics, 'subgraphUnavailable'>>;

export interface RecordOptions {
  /** How this process authenticates a GraphQL request: the auth mode's name. */
  method: Exclude<AuthMethod, 'login'>;
  metrics: RecordMetrics;
  /** A refusal gets a warning line of its own (subgraphs: only the gateway may call them). */
  warnOnRefusal?: boolean;
}

/** Refusals of an identity token (TOKEN_*, KEYS_UNAVAILABLE): counted apart at subgraphs. */
const TOKEN_CHECK_CODES = new Set<AuthErrorCode>(['TOKEN_MISSING', 'TOKEN_INVALID', 'TOKEN_EXPIRED', 'KEYS_UNAVAILABLE']);

export class RequestRecord {
  private readonly fields: AccessLineFields = {};
  private logger: Logger | undefined;
  private method: AuthMethod;

  constructor(
    readonly id: string,
    readonly trace: TraceContext,
    /** The path, without the query string (a GET query is not the log's business). */
    readonly path: string,
    private readonly req: IncomingMessage,
    private readonly options: RecordOptions,
    /** The process's logger: request-scoped lines are its children. */
    private readonly processLogger: PinoLogger,
  ) {
    this.method = options.method;
  }

  /** Request-scoped lines (warnings, errors): reqId and traceId on each. Made on first use. */
  get log(): Logger {
    return (this.logger ??= fromPino(this.processLogger.child({ reqId: this.id, traceId: this.trace.traceId })));
  }

  /** This request is a login: what refuses it from now on is a refused login. */
  loginAttempt(): void {
    this.method = 'login';
  }

  /** The session id the request carried (only a hash of it is kept). */
  session(sessionId: string): void {
    this.fields.session = shortHash(sessionId);
  }

  /** The caller of a GraphQL request, once authenticated; null: anonymous. */
  authenticated(identity: Identity | null, sessionId?: string): void {
    this.options.metrics.authentication(this.method, identity ? 'ok' : 'anonymous');
    this.fields.user = identity?.id ?? null;
    if (sessionId) this.session(sessionId);
  }

  /** The services acting for the caller (a downstream service, token mode): names only, never a token. */
  actedFor(actors: readonly string[]): void {
    if (actors.length > 0) this.fields.act = [...actors];
  }

  /** What checking the caller's identity token took (subgraphs, token mode). */
  verified(cost: SubgraphCost): void {
    this.options.metrics.verified?.(cost.tokensVerified, cost.verifyCacheHits);
  }

  /** A successful login of `identity`. */
  signedIn(identity: Identity): void {
    this.options.metrics.authentication('login', 'ok');
    this.fields.login = 'ok';
    this.fields.user = identity.id;
  }

  /** A login refused before any credential was checked, or for a bad one. */
  loginRefused(code: PublicErrorCode, limit?: 'ip' | 'username'): void {
    this.method = 'login';
    this.options.metrics.authentication('login', 'refused', code);
    Object.assign(this.fields, { login: 'refused', authCode: code }, limit ? { limit } : {});
  }

  /** The token endpoint issued tokens for `grantType`. */
  granted(grantType: string): void {
    this.options.metrics.authentication('grant', 'ok');
    this.fields.grant = { type: grantType, outcome: 'ok' };
  }

  /** The token endpoint refused `grantType` (an RFC 6749 error code). */
  grantRefused(grantType: string, code: OAuthErrorCode): void {
    this.options.metrics.authentication('grant', 'refused', code);
    this.fields.grant = { type: grantType, outcome: 'refused' };
    this.fields.authCode = code;
  }

  /**
   * The request was refused for an authentication reason. A GraphQL request
   * refused before execution also counts as a refused request.
   */
  refuse(error: AnyPublicError, where: 'graphql' | 'http'): void {
    const { metrics, warnOnRefusal } = this.options;
    metrics.authentication(this.method, 'refused', error.code);
    if (TOKEN_CHECK_CODES.has(error.code as AuthErrorCode)) metrics.verifyFailure?.(error.code as AuthErrorCode);
    if (where === 'graphql') metrics.request('unknown', 'refused');
    if (this.method === 'login') this.fields.login = 'refused';
    this.fields.authCode = error.code;
    // The reason, never the credential: a log line must not be a secret.
    if (warnOnRefusal) this.log.warn('request refused', { authCode: error.code, reason: error.message });
  }

  /** A field or type withheld from the caller by `directive`. */
  deny(directive: string, coordinate: string): void {
    this.options.metrics.denial(directive);
    (this.fields.denied ??= []).push(`${coordinate} @${directive}`);
  }

  /** This request reached `subgraph` (the gateway's subgraph client calls this per fetch). */
  reached(subgraph: string): void {
    const list = (this.fields.subgraphs ??= []);
    if (!list.includes(subgraph)) list.push(subgraph);
  }

  /**
   * A fetch of this request found `subgraph` unavailable (gateway/subgraph-failure.ts). `detail`
   * may name its URL: it goes to this request's log line, never to the client.
   */
  subgraphUnavailable(subgraph: string, reason: UnavailableReason, detail: string): void {
    this.options.metrics.subgraphUnavailable?.(subgraph, reason);
    const list = (this.fields.unavailable ??= []);
    if (!list.includes(subgraph)) list.push(subgraph);
    this.log.warn('subgraph unavailable', { subgraph, reason, detail });
  }

  /** How the GraphQL operation ended. */
  operation(type: string, name: string | undefined, outcome: RequestOutcome, errorCodes: string[]): void {
    this.options.metrics.request(type, outcome);
    this.fields.operation = { type, ...(name ? { name } : {}), outcome };
    if (errorCodes.length > 0) this.fields.errorCodes = errorCodes;
  }

  /** The access line's own fields. */
  accessLine(res: ServerResponse, responseTime: number): LogFields {
    return {
      method: this.req.method,
      path: this.path,
      status: res.statusCode,
      responseTime,
      traceId: this.trace.traceId,
      spanId: this.trace.spanId,
      ...(this.trace.parentSpanId ? { parentSpanId: this.trace.parentSpanId } : {}),
      ...this.fields,
    };
  }
}

declare module 'node:http' {
  interface IncomingMessage {
    /** Set by requestLogging() before any route runs. */
    observed?: RequestRecord;
  }
}

export interface RequestLoggingOptions extends RecordOptions {
  /** Echo the request id to the client (the gateway does: it is what a user quotes to an operator). */
  echoRequestId?: boolean;
}

/**
 * Settles the request's id and trace, keeps its record on `req.observed`, and
 * writes its access line when the response ends: `info` "request completed",
 * or `error` "request failed" for a 5xx. A connection closed before the end
 * still gets its line (with the status set so far). Nothing is built for a
 * level that is off, and no logger is made per request unless a line of its
 * own is written (`record.log`).
 */
export function requestLogging(logger: Logger, options: RequestLoggingOptions): RequestHandler {
  const processLogger = pinoOf(logger);
  return (req, res, next) => {
    const started = Date.now();
    const id = requestIdOf(req.headers);
    if (options.echoRequestId) res.setHeader(REQUEST_ID_HEADER, id);
    const url = req.originalUrl ?? req.url ?? '/';
    const query = url.indexOf('?');
    const record = new RequestRecord(id, traceContextOf(req.headers), query === -1 ? url : url.slice(0, query), req, options, processLogger);
    req.observed = record;
    const complete = () => {
      res.removeListener('finish', complete);
      res.removeListener('close', complete);
      const failed = res.statusCode >= 500;
      const level = failed ? 'error' : 'info';
      if (!processLogger.isLevelEnabled(level)) return;
      processLogger[level]({ reqId: id, ...record.accessLine(res, Date.now() - started) }, failed ? 'request failed' : 'request completed');
    };
    res.on('finish', complete);
    res.on('close', complete);
    next();
  };
}
