/**
 * Where a process listens and how long it waits for a client: HOST and the
 * HTTP server's limits against slow or hostile clients (slowloris, bodies
 * that never end). Every process reads them alike (common.ts); the server
 * applies them (shared/service/http-server.ts).
 */
import { isIP } from 'node:net';
import { ConfigError, integer, optional, type Env } from '@fedgw/subgraph-kit';

export interface HttpServerLimits {
  /** HTTP_HEADERS_TIMEOUT_MS: the longest wait for a request's headers, from its first byte (or from the connection). */
  headersTimeoutMs: number;
  /** HTTP_REQUEST_TIMEOUT_MS: the longest wait for a whole request, its body included. */
  requestTimeoutMs: number;
  /** HTTP_KEEP_ALIVE_TIMEOUT_MS: how long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
  /** HTTP_MAX_HEADER_BYTES: the largest request head (request line and headers). */
  maxHeaderBytes: number;
  /** HTTP_MAX_CONNECTIONS: open connections per process; more are closed at once. */
  maxConnections: number;
  /** HTTP_MAX_CONNECTIONS_PER_CLIENT: open connections per client address (0: no cap, e.g. behind a proxy). */
  maxConnectionsPerClient: number;
}

export const DEFAULT_HTTP_LIMITS: HttpServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxHeaderBytes: 16_384,
  maxConnections: 1_000,
  maxConnectionsPerClient: 0,
};

export function parseHttpLimits(env: Env): HttpServerLimits {
  const d = DEFAULT_HTTP_LIMITS;
  const headersTimeoutMs = integer(env, 'HTTP_HEADERS_TIMEOUT_MS', d.headersTimeoutMs, 100, 300_000);
  const requestTimeoutMs = integer(env, 'HTTP_REQUEST_TIMEOUT_MS', d.requestTimeoutMs, 100, 3_600_000);
  // Node refuses a headers timeout longer than the request's: the headers are part of the request.
  if (requestTimeoutMs < headersTimeoutMs) {
    throw new ConfigError('HTTP_REQUEST_TIMEOUT_MS', `at least HTTP_HEADERS_TIMEOUT_MS (${headersTimeoutMs})`, String(requestTimeoutMs));
  }
  return {
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: integer(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', d.keepAliveTimeoutMs, 100, 600_000),
    maxHeaderBytes: integer(env, 'HTTP_MAX_HEADER_BYTES', d.maxHeaderBytes, 1024, 1_048_576),
    maxConnections: integer(env, 'HTTP_MAX_CONNECTIONS', d.maxConnections, 1, 1_000_000),
    maxConnectionsPerClient: integer(env, 'HTTP_MAX_CONNECTIONS_PER_CLIENT', d.maxConnectionsPerClient, 0, 1_000_000),
  };
}

/** HOST: an IP address to listen on (or `localhost`); unset, every interface. */
export function parseHost(env: Env): string | undefined {
  const host = optional(env, 'HOST');
  if (host === undefined || host === 'localhost' || isIP(host) !== 0) return host;
  throw new ConfigError('HOST', 'an IP address to listen on (127.0.0.1, ::1, 0.0.0.0, ::) or localhost', host);
}
