/**
 * W3C trace context and request ids: which incoming traceparent continues a
 * trace, the child sent on each subgraph fetch, and which request ids are
 * kept.
 */
import { describe, expect, it } from 'vitest';
import { childTraceparent, parseTraceparent, requestIdOf, traceContextOf, type TraceContext } from '../../shared/observability/trace-context.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const VALID = `00-${TRACE_ID}-${PARENT_ID}-01`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('parseTraceparent', () => {
  it('reads a valid traceparent', () => {
    expect(parseTraceparent(VALID)).toEqual({ traceId: TRACE_ID, parentId: PARENT_ID, flags: '01' });
  });

  it('refuses version ff', () => {
    expect(parseTraceparent(`ff-${TRACE_ID}-${PARENT_ID}-01`)).toBeUndefined();
  });

  it('refuses extra fields on version 00, and accepts them on a later version', () => {
    expect(parseTraceparent(`${VALID}-extra`)).toBeUndefined();
    expect(parseTraceparent(`01-${TRACE_ID}-${PARENT_ID}-01-extra`)).toEqual({ traceId: TRACE_ID, parentId: PARENT_ID, flags: '01' });
  });

  it('refuses all-zero ids', () => {
    expect(parseTraceparent(`00-${'0'.repeat(32)}-${PARENT_ID}-01`)).toBeUndefined();
    expect(parseTraceparent(`00-${TRACE_ID}-${'0'.repeat(16)}-01`)).toBeUndefined();
  });

  it('refuses a value longer than 512 characters', () => {
    const long = `01-${TRACE_ID}-${PARENT_ID}-01-${'a'.repeat(512)}`;
    expect(long.length).toBeGreaterThan(512);
    expect(parseTraceparent(long)).toBeUndefined();
  });

  it('refuses malformed values', () => {
    for (const value of [
      VALID.toUpperCase(),
      `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`,
      `00-${TRACE_ID}-${PARENT_ID}-1`,
      `00_${TRACE_ID}_${PARENT_ID}_01`,
      ` ${VALID}`,
      '',
      undefined,
      [VALID, VALID],
    ]) {
      expect(parseTraceparent(value), String(value)).toBeUndefined();
    }
  });
});

describe('childTraceparent', () => {
  const trace: TraceContext = { traceId: TRACE_ID, spanId: 'b7ad6b7169203331', flags: '00' };

  it('keeps the trace id and flags, with a new parent id', () => {
    const child = parseTraceparent(childTraceparent(trace));
    expect(child).toMatchObject({ traceId: TRACE_ID, flags: '00' });
    expect(child!.parentId).toMatch(/^[0-9a-f]{16}$/);
    expect(child!.parentId).not.toBe(trace.spanId);
  });

  it('gives every call its own parent id', () => {
    const parents = new Set(Array.from({ length: 50 }, () => parseTraceparent(childTraceparent(trace))!.parentId));
    expect(parents.size).toBe(50);
  });
});

describe('traceContextOf', () => {
  it('continues a valid incoming trace, and starts a sampled one otherwise', () => {
    expect(traceContextOf({ traceparent: VALID })).toMatchObject({ traceId: TRACE_ID, parentSpanId: PARENT_ID, flags: '01' });
    const fresh = traceContextOf({ traceparent: `ff-${TRACE_ID}-${PARENT_ID}-01` });
    expect(fresh.traceId).not.toBe(TRACE_ID);
    expect(fresh).toMatchObject({ traceId: expect.stringMatching(/^[0-9a-f]{32}$/), flags: '01' });
    expect(fresh.parentSpanId).toBeUndefined();
  });
});

describe('requestIdOf', () => {
  it("keeps the caller's request id when it is plausible", () => {
    for (const id of ['abc-123', '01HZX3K6Q1V9YB8M2N4P5R6S7T', 'lb:req.42_a', 'x'.repeat(128)]) {
      expect(requestIdOf({ 'x-request-id': id })).toBe(id);
    }
  });

  it('makes a new id otherwise', () => {
    for (const id of [undefined, '', 'x'.repeat(129), 'has space', 'quote"', 'new\nline', 'a, b']) {
      const requestId = requestIdOf({ 'x-request-id': id });
      expect(requestId, JSON.stringify(id)).toMatch(UUID);
    }
  });

  it('makes a different id for each request', () => {
    expect(requestIdOf({})).not.toBe(requestIdOf({}));
  });
});
