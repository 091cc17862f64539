/** Small HTTP pieces every process uses: listening with a close path, the JSON error handler. */
import type { Server, ServerResponse } from 'node:http';
import { isIPv6, type AddressInfo } from 'node:net';
import type { ErrorRequestHandler, Express, Request, Response } from 'express';
import { AuthError, CodedError } from '@fedgw/subgraph-kit';
import { sleep } from '../backoff.js';
import { DEFAULT_HTTP_LIMITS, type HttpServerLimits } from '../config/http-server.js';
import { errorBody, type PublicErrorCode } from '../errors.js';
import { limitedServer } from './http-server.js';

export interface RunningServer {
  server: Server;
  port: number;
  /** http://127.0.0.1:<port> (or HOST's address) — what tests and the launcher talk to. */
  url: string;
  /** Stops at once: every connection is cut, requests in flight included (tests). */
  close(): Promise<void>;
  /**
   * Stops gracefully (SIGTERM): /readyz turns 503 at once, new requests keep
   * being served for `delayMs` while a load balancer notices, then the
   * listener closes and requests in flight finish, for at most `timeoutMs`.
   * Every response from the first moment of a drain closes its connection.
   */
  drain(options: DrainOptions): Promise<void>;
}

export interface DrainOptions {
  /** DRAIN_DELAY: how long to keep serving after /readyz turned 503. */
  delayMs: number;
  /** DRAIN_TIMEOUT: the longest wait for requests in flight once the listener is closed. */
  timeoutMs: number;
}

/** Set on `app.locals` while the server drains: the skeleton's /readyz answers 503 from then on. */
export const DRAINING = 'draining';

export interface ListenOptions {
  /** HOST: the address to listen on; unset, every interface. */
  host?: string;
  /** The limits against slow or hostile clients (default: DEFAULT_HTTP_LIMITS). */
  limits?: HttpServerLimits;
}

export function listen(app: Express, port: number, { host, limits = DEFAULT_HTTP_LIMITS }: ListenOptions = {}): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = limitedServer((req, res) => (app as unknown as AppWithNext)(req, res, lastResort(req as Request, res as Response)), limits);
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const actual = (server.address() as AddressInfo).port;
      const url = `http://${reachableHost(host)}:${actual}`;
      resolve({ server, port: actual, url, close: () => closeNow(server), drain: (options) => drain(app, server, options) });
    });
    server.listen(port, host);
  });
}

/** An Express app called with the callback that ends its router (Express's default is finalhandler). */
type AppWithNext = (req: unknown, res: unknown, next: (error?: unknown) => void) => void;

/**
 * What runs when an error passes the end of the app — which only one raised
 * after its answer can do (the last error handler answers every other):
 * express-session saving a session at the end of a response calls `next`
 * once more, when the router has already run to its end. Express's default
 * (finalhandler) would print a stack trace and destroy the socket, cutting
 * the keep-alive connection under the client's next request: a reset
 * instead of an answer. Here it is one log line.
 */
function lastResort(req: Request, res: Response) {
  return (error?: unknown): void => {
    if (error === undefined || error === null) {
      // Every app ends with a JSON 404 (error-hygiene.ts): this is only a guard against a request left unanswered.
      if (!res.headersSent) res.status(404).json(errorBody('NOT_FOUND', 'no such endpoint'));
    } else if (res.headersSent) afterResponse(error, req, res);
    else jsonErrorHandler(error, req, res, () => {});
  };
}

/** Where a process on this machine reaches a server listening on `host`. */
function reachableHost(host: string | undefined): string {
  if (host === undefined || host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return isIPv6(host) ? `[${host}]` : host;
}

/**
 * `running`, whose close and drain also release what the server used (its
 * store, watchers, Apollo Server) once the last request is answered.
 */
export function releasing<T extends RunningServer>(running: T, release: () => Promise<void>): T {
  return {
    ...running,
    async close() {
      await running.close();
      await release();
    },
    async drain(options: DrainOptions) {
      await running.drain(options);
      await release();
    },
  };
}

function closeNow(server: Server): Promise<void> {
  return new Promise<void>((done) => {
    server.close(() => done());
    // Keep-alive sockets would hold close() open until they time out.
    server.closeAllConnections();
  });
}

async function drain(app: Express, server: Server, { delayMs, timeoutMs }: DrainOptions): Promise<void> {
  app.locals[DRAINING] = true;
  await sleep(delayMs);
  await new Promise<void>((done) => {
    // Stops accepting; calls back once the last connection is gone. A connection that
    // answered keep-alive before the drain began goes idle after its request: sweep those.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(force);
      done();
    });
    server.closeIdleConnections();
  });
}

/**
 * While the app drains, every response closes its connection after it is
 * sent (`Connection: close`), so no client or load balancer keeps using a
 * connection to a server that is going away. Installed once per app, on its
 * response prototype: nothing is added per request.
 */
export function closeConnectionsWhileDraining(app: Express): void {
  const writeHead = app.response.writeHead;
  app.response.writeHead = function (this: ServerResponse & { app: Express }, ...args: unknown[]) {
    if (this.app.locals[DRAINING]) this.shouldKeepAlive = false;
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as typeof writeHead;
}

/**
 * The last error handler of every app. A public error (a PublicError, or the
 * kit's AuthError: both are CodedErrors) answers with its code
 * (an authentication refusal that ended outside GraphQL — the session store
 * down under express-session, the login limiter's store down — is put on
 * the request's record first); body-parser failures (malformed JSON, an
 * oversized body) are JSON with a stable code instead of Express's HTML
 * page; anything else is a 500 without details.
 */
export const jsonErrorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  if (res.headersSent) return afterResponse(error, req, res);
  const type = (error as { type?: string }).type;
  if (error instanceof CodedError) {
    if (error instanceof AuthError) req.observed?.refuse(error, 'http');
    // Every CodedError this process throws carries a public code (PublicError's, or AuthError's).
    res.status(error.status).json(errorBody(error.code as PublicErrorCode, error.message));
  } else if (type === 'entity.too.large') {
    res.status(413).json(errorBody('PAYLOAD_TOO_LARGE', 'request body is too large'));
  } else if (type === 'entity.parse.failed' || type === 'encoding.unsupported' || type === 'charset.unsupported') {
    res.status(400).json(errorBody('BAD_REQUEST', 'request body is not valid JSON'));
  } else if (type === 'entity.verify.failed') {
    // A body parser's `verify` refused the bytes (e.g. invalid UTF-8).
    res.status(400).json(errorBody('BAD_REQUEST', 'request body is not acceptable'));
  } else if (isClientError(error)) {
    // Any other body-parser refusal: a body that cannot be read or inflated, an aborted request.
    res.status(400).json(errorBody('BAD_REQUEST', 'request body could not be read'));
  } else {
    // With the request's id and trace (request-record.ts), one JSON line; console only before that middleware.
    if (req.observed) req.observed.log.error('unhandled error in request', { err: error });
    else console.error('unhandled error in request:', error);
    res.status(500).json(errorBody('INTERNAL_SERVER_ERROR', 'internal server error'));
  }
};

/**
 * An error raised once the answer had begun (express-session's save of a
 * session at the end of a response, with the store down): the client's
 * answer stands — one log line, not Express's default, which prints a stack
 * trace and destroys the socket (a reset instead of an answer). Only a
 * response cut half-way is ended by closing its connection: the client must
 * not take a truncated body for a whole one.
 */
function afterResponse(error: unknown, req: Request, res: Response): void {
  const code = error instanceof CodedError ? error.code : undefined;
  if (req.observed) req.observed.log.warn('error after the response had begun', { err: error, code, responseComplete: res.writableEnded });
  else console.error(JSON.stringify({ msg: 'error after the response had begun', code, error: String(error) }));
  if (!res.writableEnded) req.socket.destroy();
}

function isClientError(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}
