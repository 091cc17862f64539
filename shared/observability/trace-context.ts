/**
 * Request ids and W3C trace context (https://www.w3.org/TR/trace-context/):
 * what lets one grep follow a client request through the gateway and every
 * subgraph it reached.
 *
 * - `X-Request-Id`: taken from the client when it is a plausible id (bounded
 *   length, a safe charset: it is echoed into logs and response headers),
 *   generated otherwise; the gateway sends it on every subgraph fetch.
 * - `traceparent`: a valid incoming one continues its trace; otherwise a new
 *   trace starts. Every subgraph fetch carries a child: same trace id, a new
 *   parent (span) id, the same flags.
 */
import { randomFillSync, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
export const TRACEPARENT_HEADER = 'traceparent';

/** Letters, digits and `._:-`, at most 128: a UUID, a ULID, a load balancer's id all fit. */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export function isValidRequestId(value: unknown): value is string {
  return typeof value === 'string' && REQUEST_ID_PATTERN.test(value);
}

export function newRequestId(): string {
  return randomUUID();
}

/** The request id of an incoming request: the caller's when valid, a new one otherwise. */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const incoming = headers[REQUEST_ID_HEADER];
  return isValidRequestId(incoming) ? incoming : newRequestId();
}

export interface TraceContext {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** This process's span for the request: 16 lowercase hex digits. */
  spanId: string;
  /** The caller's span (the incoming traceparent's parent id), if there was one. */
  parentSpanId?: string;
  /** trace-flags, 2 hex digits (01 = sampled). */
  flags: string;
}

// version-traceid-parentid-flags; a future version may append fields after another "-".
const TRACEPARENT_PATTERN = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** The parts of a valid `traceparent`, or undefined (the spec says: then start a new trace). */
export function parseTraceparent(value: unknown): { traceId: string; parentId: string; flags: string } | undefined {
  if (typeof value !== 'string' || value.length > 512) return undefined;
  const match = TRACEPARENT_PATTERN.exec(value);
  if (!match) return undefined;
  const [, version, traceId, parentId, flags, rest] = match;
  // ff is forbidden; version 00 has exactly four fields.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || parentId === ZERO_SPAN) return undefined;
  return { traceId, parentId, flags };
}

/** The trace this process's handling of a request belongs to. */
export function traceContextOf(headers: IncomingHttpHeaders): TraceContext {
  const incoming = parseTraceparent(headers[TRACEPARENT_HEADER]);
  if (incoming) return { traceId: incoming.traceId, spanId: newSpanId(), parentSpanId: incoming.parentId, flags: incoming.flags };
  return newTrace();
}

/** A new trace, sampled (the gateway is where traces start). */
export function newTrace(): TraceContext {
  return { traceId: randomHex(16), spanId: newSpanId(), flags: '01' };
}

export function newSpanId(): string {
  return randomHex(8);
}

/** The `traceparent` of an outgoing call made while handling `trace`: same trace, a new parent id. */
export function childTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${newSpanId()}-${trace.flags}`;
}

// Ids on the hot path: one small buffer of random bytes, refilled when used
// up, instead of a call into the CSPRNG per id.
const pool = Buffer.alloc(4096);
let offset = pool.length;

function randomHex(bytes: number): string {
  let hex: string;
  do {
    if (offset + bytes > pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    hex = pool.toString('hex', offset, offset + bytes);
    offset += bytes;
    // All-zero ids are invalid; astronomically unlikely, but cheap to rule out.
  } while (/^0+$/.test(hex));
  return hex;
}
