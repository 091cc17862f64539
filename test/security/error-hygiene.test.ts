/**
 * Error hygiene in production (issue 7, item 5): no stack trace, file path
 * or internal message reaches a client; subgraph errors pass with safe
 * messages and codes; every error response is JSON with a code, 404s and
 * 405s included; introspection and field suggestions are off. Every auth
 * mode, on a production stack with one extra subgraph whose resolvers fail.
 */
import { GraphQLError, parse } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GENERIC_ERROR_MESSAGE } from '../../shared/service/error-hygiene.js';
import type { SubgraphDefinition } from '../../shared/subgraph-server.js';
import { modeVariants } from '../helpers/modes.js';
import { expectStillServes, postGraphQL, refusedAtGateway, subgraphOperations } from '../helpers/refusals.js';
import { send } from '../helpers/http.js';
import { DEMO_SUBGRAPHS } from '../../subgraphs/demo.js';
import { startStack, type Stack } from '../helpers/stack.js';

const SECRET_PATH = '/srv/fedgw/secrets/users.db';

/** A subgraph whose resolvers fail the ways real code does. */
const faultySubgraph: SubgraphDefinition = {
  name: 'faulty',
  defaultPort: 0,
  typeDefs: parse(/* GraphQL */ `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
    type Query {
      crash: String
      typeError: String
      refusal: String
    }
  `),
  resolvers: {
    Query: {
      crash: () => {
        throw new Error(`ENOENT: no such file or directory, open '${SECRET_PATH}'`);
      },
      typeError: () => (undefined as unknown as { name: string }).name,
      refusal: () => {
        throw new GraphQLError('a review needs a body', { extensions: { code: 'BAD_USER_INPUT', internal: SECRET_PATH } });
      },
    },
  },
};

/** Nothing in an answer may look like a stack frame, a file path or an internal detail. */
function expectNothingInternal(body: unknown) {
  const text = JSON.stringify(body);
  expect(text).not.toContain(SECRET_PATH);
  expect(text).not.toContain('ENOENT');
  expect(text).not.toMatch(/stacktrace|exception|\.ts:\d+|node_modules|\n\s+at /i);
  expect(text).not.toMatch(/127\.0\.0\.1|localhost/);
}

describe.each(modeVariants())('error hygiene in production, $name mode', (variant) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      mode: variant.mode,
      env: { ...variant.env, NODE_ENV: 'production', SESSION_SECRET: 'error-hygiene-test-secret-of-40-characters!' },
      subgraphs: [...DEMO_SUBGRAPHS, faultySubgraph],
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

  it('a resolver that throws an internal error (with a file path): generic message, INTERNAL_SERVER_ERROR', async () => {
    const answer = await postGraphQL(stack, { query: '{ crash products { id } }' });
    expect(answer.status).toBe(200);
    // The rest of the query is still answered.
    expect(answer.body.data.products).toHaveLength(3);
    expect(answer.body.errors).toHaveLength(1);
    expect(answer.body.errors[0]).toEqual({ message: GENERIC_ERROR_MESSAGE, path: ['crash'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expectNothingInternal(answer.body);
  });

  it('a resolver bug (TypeError): generic message, INTERNAL_SERVER_ERROR', async () => {
    const answer = await postGraphQL(stack, { query: '{ typeError }' });
    expect(answer.status).toBe(200);
    expect(answer.code).toBe('INTERNAL_SERVER_ERROR');
    expect(answer.body.errors[0].message).toBe(GENERIC_ERROR_MESSAGE);
    expectNothingInternal(answer.body);
  });

  it('a deliberate error with a public code keeps its message and code, and nothing else', async () => {
    const answer = await postGraphQL(stack, { query: '{ refusal }' });
    expect(answer.status).toBe(200);
    expect(answer.code).toBe('BAD_USER_INPUT');
    expect(answer.body.errors[0].message).not.toBe(GENERIC_ERROR_MESSAGE);
    expect(Object.keys(answer.body.errors[0].extensions)).toEqual(['code']);
    expectNothingInternal(answer.body);
  });

  it('an authentication refusal keeps its code and HTTP status', async () => {
    const answer = await refusedAtGateway(stack, () => postGraphQL(stack, { query: '{ me { id } }' }, { authorization: 'Bearer not-a-token', cookie: 'fedgw.sid=s%3Aforged.sig' }));
    if (variant.mode === 'token') {
      expect(answer.status).toBe(401);
      expect(answer.code).toBe('TOKEN_INVALID');
    } else {
      // Session mode ignores a bearer token; a forged cookie is an anonymous caller.
      expect(answer.status).toBe(200);
    }
    expectNothingInternal(answer.body);
  });

  it('introspection is refused: 400 GRAPHQL_VALIDATION_FAILED, no subgraph called', async () => {
    const answer = await refusedAtGateway(stack, () => postGraphQL(stack, { query: '{ __schema { types { name } } }' }));
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('a misspelt field gets no suggestion of the real one', async () => {
    const answer = await refusedAtGateway(stack, () => postGraphQL(stack, { query: '{ prodcts { id } }' }));
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('GRAPHQL_VALIDATION_FAILED');
    // The message is the point here: it must not name the schema's fields.
    expect(answer.body.errors[0].message).not.toMatch(/Did you mean|"products"/);
  });

  it.each([
    ['GET', '/nope'],
    ['POST', '/admin'],
    ['GET', '/auth/unknown'],
    ['GET', '/.env'],
    ['GET', '/graphql/../../etc/passwd'],
  ])('an unknown path (%s %s): JSON 404 NOT_FOUND', async (method, path) => {
    const answer = await refusedAtGateway(stack, () => send(`${stack.gatewayUrl}${path}`, { method }));
    expect(answer.status).toBe(404);
    expect(answer.code).toBe('NOT_FOUND');
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it.each([
    ['GET', '/auth/login', 'POST'],
    ['DELETE', '/auth/logout', 'POST'],
    ['POST', '/healthz', 'GET, HEAD'],
    ['PUT', '/.well-known/jwks.json', 'GET, HEAD'],
  ])('a known path with the wrong method (%s %s): JSON 405 METHOD_NOT_ALLOWED with Allow', async (method, path, allow) => {
    const answer = await refusedAtGateway(stack, () => send(`${stack.gatewayUrl}${path}`, { method }));
    expect(answer.status).toBe(405);
    expect(answer.code).toBe('METHOD_NOT_ALLOWED');
    expect(answer.headers.get('allow')).toBe(allow);
  });

  it('PUT /graphql: JSON 405 with a code', async () => {
    const answer = await refusedAtGateway(stack, () =>
      send(`${stack.gatewayUrl}/graphql`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"query":"{ products { id } }"}' }),
    );
    expect(answer.status).toBe(405);
    expect(answer.code).toBe('BAD_REQUEST');
  });

  it('a subgraph that answers with a bad gateway: its URL and response stay inside', async () => {
    // The faulty subgraph goes away; its recording proxy answers 502 from now on.
    await stack.subgraphs.faulty.close();
    const before = subgraphOperations(stack);
    const answer = await postGraphQL(stack, { query: '{ refusal products { id } }' });
    expect(subgraphOperations(stack)).toBeGreaterThan(before);
    expect(answer.body.data.products).toHaveLength(3);
    // Its field is null with a code and its name, at its path: nothing else about it.
    expect(answer.body.errors).toEqual([
      { message: expect.any(String), path: ['refusal'], extensions: { code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'faulty' } },
    ]);
    expectNothingInternal(answer.body);
  });
});
