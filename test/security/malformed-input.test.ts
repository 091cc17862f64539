/**
 * Malformed input (issue 7, item 7): whatever bytes arrive at /graphql, the
 * answer is a 4xx with a JSON error and a stable code — never a crash, never
 * a subgraph call — and the next normal request still answers. Every auth mode.
 */
import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { modeVariants } from '../helpers/modes.js';
import { expectStillServes, postGraphQL, refusedAtGateway, subgraphOperations } from '../helpers/refusals.js';
import { startStack, type Stack } from '../helpers/stack.js';

describe.each(modeVariants())('malformed input, $name mode', (variant) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      mode: variant.mode,
      env: { ...variant.env, MAX_REQUEST_BYTES: '65536', MAX_JSON_DEPTH: '32', SUBGRAPH_POLL_INTERVAL: '0' },
      record: true,
    });
  });
  afterAll(async () => {
    await stack?.close();
  });
  // Every case ends the same way: the gateway still answers a normal query.
  afterEach(async () => {
    await expectStillServes(stack);
  });

  const refused = (body: unknown, headers: Record<string, string> = {}) => refusedAtGateway(stack, () => postGraphQL(stack, body, headers));

  it('malformed JSON: 400 BAD_REQUEST', async () => {
    const answer = await refused('{"query": "{ products { id } }"');
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('BAD_REQUEST');
  });

  it('a JSON string instead of an object: 400 BAD_REQUEST', async () => {
    const answer = await refused('"{ products { id } }"');
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('BAD_REQUEST');
  });

  it('an empty body: 400 BAD_REQUEST', async () => {
    const answer = await refused('');
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('BAD_REQUEST');
  });

  it('a wrong content type (application/xml): 400 BAD_REQUEST', async () => {
    const answer = await refused('<query>{ products { id } }</query>', { 'content-type': 'application/xml' });
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('BAD_REQUEST');
  });

  it('JSON in an unsupported charset (UTF-16): 400 BAD_REQUEST', async () => {
    const body = Buffer.from(JSON.stringify({ query: '{ products { id } }' }), 'utf16le');
    const answer = await refused(body, { 'content-type': 'application/json; charset=utf-16' });
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('BAD_REQUEST');
  });

  it('a body that claims gzip but is not: 4xx BAD_REQUEST', async () => {
    const answer = await refused('{"query": "{ products { id } }"}', { 'content-encoding': 'gzip' });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answer.code).toBe('BAD_REQUEST');
  });

  it('a body cut short (Content-Length larger than what is sent, then the connection dropped): no crash', async () => {
    const before = subgraphOperations(stack);
    await new Promise<void>((resolve) => {
      const request = http.request(`${stack.gatewayUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': '100' },
      });
      request.on('error', () => resolve());
      request.on('response', () => resolve());
      request.write('{"query": "{ products');
      setTimeout(() => request.destroy(), 100);
    });
    expect(subgraphOperations(stack)).toBe(before);
  });

  it('invalid UTF-8 inside a JSON string: 400 BAD_REQUEST (not silently replaced)', async () => {
    const body = Buffer.concat([Buffer.from('{"query": "{ products { id } }", "operationName": "'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    const answer = await refused(body);
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('BAD_REQUEST');
  });

  it('an overlong UTF-8 encoding (a disguised "/"): 400 BAD_REQUEST', async () => {
    const body = Buffer.concat([Buffer.from('{"query": "{ products { id } }", "variables": {"x": "'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}}')]);
    const answer = await refused(body);
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('BAD_REQUEST');
  });

  it.each([
    ['a number', 42],
    ['an object (a parsed AST)', { kind: 'Document', definitions: [] }],
    ['an array', ['{ products { id } }']],
    ['a boolean', true],
  ])('a non-string query (%s): 400 BAD_REQUEST', async (_name, query) => {
    const answer = await refused({ query });
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('BAD_REQUEST');
  });

  it('no query at all: 400 BAD_REQUEST', async () => {
    const answer = await refused({ variables: {} });
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('BAD_REQUEST');
  });

  it.each([
    ['a string', '{"id": "p1"}'],
    ['an array', ['p1']],
  ])('variables that are %s: 400 BAD_REQUEST', async (_name, variables) => {
    const answer = await refused({ query: 'query ($id: ID!) { product(id: $id) { id } }', variables });
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('BAD_REQUEST');
  });

  it('an operationName that is not a string: 400 BAD_REQUEST', async () => {
    const answer = await refused({ query: '{ products { id } }', operationName: { $ne: null } });
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('BAD_REQUEST');
  });

  it('a variable of the wrong type: 400 BAD_USER_INPUT', async () => {
    const answer = await refused({ query: 'query ($id: ID!) { product(id: $id) { id } }', variables: { id: { nested: ['p1'] } } });
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('BAD_USER_INPUT');
  });

  it('huge variables (over MAX_REQUEST_BYTES): 413 PAYLOAD_TOO_LARGE', async () => {
    const variables = { ids: Array.from({ length: 20_000 }, (_, i) => `p${i}`) };
    const answer = await refused({ query: 'query ($ids: [ID!]) { products { id } }', variables });
    expect(answer.status).toBe(413);
    expect(answer.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('deeply nested variables (over MAX_JSON_DEPTH): 400 JSON_TOO_DEEP', async () => {
    let value: unknown = 'p1';
    for (let i = 0; i < 40; i++) value = { v: value };
    const answer = await refused({ query: 'query ($id: ID!) { product(id: $id) { id } }', variables: { id: value } });
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('JSON_TOO_DEEP');
  });

  it('variables nested 30,000 deep (a stack-overflow attempt): 400 JSON_TOO_DEEP', async () => {
    const body = `{"query": "{ products { id } }", "variables": {"x": ${'['.repeat(30_000)}${']'.repeat(30_000)}}}`;
    const answer = await refused(body);
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('JSON_TOO_DEEP');
  });

  it('a __proto__ key in the body pollutes nothing', async () => {
    const body = '{"query": "{ products { id } }", "__proto__": {"polluted": true}, "variables": {"__proto__": {"polluted": true}}}';
    const answer = await postGraphQL(stack, body);
    expect(answer.status).toBe(200);
    expect(answer.body.data.products).toHaveLength(3);
    // The gateway runs in this process: had the prototype been polluted, every object would show it.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('malformed JSON at /auth/login: 400 BAD_REQUEST', async () => {
    const response = await fetch(`${stack.gatewayUrl}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username": "alice", "password": ',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.code).toBe('BAD_REQUEST');
  });
});
