/**
 * The HTTP server every process serves on, with the limits against slow or
 * hostile clients applied in one place (settings: shared/config/http-server.ts):
 *
 * - headers must arrive within HTTP_HEADERS_TIMEOUT_MS (a silent connection
 *   or slowloris is answered 408 and closed), the whole request within
 *   HTTP_REQUEST_TIMEOUT_MS (a body that never ends: 408);
 * - an idle keep-alive connection closes after HTTP_KEEP_ALIVE_TIMEOUT_MS;
 * - a head larger than HTTP_MAX_HEADER_BYTES is a 431;
 * - connections beyond HTTP_MAX_CONNECTIONS (per process) or
 *   HTTP_MAX_CONNECTIONS_PER_CLIENT (per client address) are closed at once.
 *
 * Node answers these refusals itself, before Express sees a request; the
 * `clientError` handler here gives them the same JSON body, with a stable
 * code, as every other refusal.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpServerLimits } from '../config/http-server.js';
import { errorBody, PUBLIC_ERROR_STATUS, type PublicErrorCode } from '../errors.js';

export function limitedServer(listener: RequestListener, limits: HttpServerLimits): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      maxHeaderSize: limits.maxHeaderBytes,
      // Node looks for requests past their timeouts this often (default 30 s: far too coarse for a 10 s limit).
      connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(limits.headersTimeoutMs / 4))),
    },
    listener,
  );
  server.maxConnections = limits.maxConnections;
  if (limits.maxConnectionsPerClient > 0) capPerClient(server, limits.maxConnectionsPerClient);
  server.on('clientError', answerClientError);
  return server;
}

/** Why Node refused a request before it reached Express, as a public code. */
function refusal(error: NodeJS.ErrnoException): { code: PublicErrorCode; message: string } {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { code: 'REQUEST_TIMEOUT', message: 'the request did not arrive in time' };
  if (error.code === 'HPE_HEADER_OVERFLOW') return { code: 'HEADERS_TOO_LARGE', message: 'request headers are too large' };
  return { code: 'BAD_REQUEST', message: 'malformed HTTP request' };
}

/** Node's default answer to a client error (status, `Connection: close`), with a JSON body. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // Nothing can be answered on a connection the client reset, or once a response began.
  if (error.code === 'ECONNRESET' || !socket.writable || socket.bytesWritten > 0) {
    socket.destroy();
    return;
  }
  const { code, message } = refusal(error);
  const status = PUBLIC_ERROR_STATUS[code];
  const body = JSON.stringify(errorBody(code, message));
  socket.end(
    `HTTP/1.1 ${status} ${reason(status)}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  // A client that does not read its answer must not keep the socket: end() waits for it to be flushed.
  setTimeout(() => socket.destroy(), 1000).unref();
}

function reason(status: number): string {
  return status === 408 ? 'Request Timeout' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
}

/** Closes, at once, a connection from an address that already holds `max`. */
function capPerClient(server: Server, max: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = (open.get(address) ?? 0) + 1;
    if (count > max) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
  });
}
