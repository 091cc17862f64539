/**
 * Request limits at the gateway (issue 7, item 3): each attack is refused
 * with its status and stable code, before any subgraph is called, and the
 * gateway answers the next normal query. Run in every auth mode, against a
 * stack with small, explicit limits.
 */
import { getIntrospectionQuery } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@fedgw/subgraph-kit';
import { loadGatewayConfig } from '../../shared/config/gateway.js';
import { modeVariants } from '../helpers/modes.js';
import { expectStillServes, postGraphQL, refusedAtGateway, subgraphOperations } from '../helpers/refusals.js';
import { send } from '../helpers/http.js';
import { DEEP_QUERY } from '../../subgraphs/demo.js';
import { startStack, type Stack } from '../helpers/stack.js';

const LIMITS = {
  MAX_REQUEST_BYTES: '65536',
  MAX_QUERY_LENGTH: '6000',
  MAX_QUERY_TOKENS: '400',
  MAX_QUERY_DEPTH: '8',
  MAX_QUERY_ALIASES: '5',
  MAX_ROOT_FIELDS: '4',
  MAX_JSON_DEPTH: '16',
};

describe.each(modeVariants())('request limits, $name mode', (variant) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode: variant.mode, env: { ...variant.env, ...LIMITS, SUBGRAPH_POLL_INTERVAL: '0' }, record: true });
  });
  afterAll(async () => {
    await stack?.close();
  });
  // Every case ends the same way: the gateway still answers a normal query.
  afterEach(async () => {
    await expectStillServes(stack);
  });

  it('serves queries within the limits (the four-subgraph query, aliases, fragments)', async () => {
    const alice = stack.client();
    await alice.login('alice', 'wonderland');
    const before = subgraphOperations(stack);
    const result = await alice.query(DEEP_QUERY);
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
    expect(subgraphOperations(stack)).toBeGreaterThan(before);
    const within = await stack.client().query('query { a: products { id } b: product(id: "p1") { ...P } } fragment P on Product { n: name }');
    expect(within.status).toBe(200);
    expect(within.body.data?.b).toEqual({ n: 'Teapot' });
  });

  it('a body over MAX_REQUEST_BYTES: 413 PAYLOAD_TOO_LARGE', async () => {
    const answer = await refusedAtGateway(stack, () =>
      postGraphQL(stack, { query: '{ products { id } }', variables: { pad: 'x'.repeat(70_000) } }),
    );
    expect(answer.status).toBe(413);
    expect(answer.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('a query longer than MAX_QUERY_LENGTH (padding in a comment): 400 QUERY_TOO_LARGE', async () => {
    const answer = await refusedAtGateway(stack, () => postGraphQL(stack, { query: `{ products { id } }\n#${'x'.repeat(6000)}` }));
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('QUERY_TOO_LARGE');
  });

  it('a query with more tokens than MAX_QUERY_TOKENS: 400 QUERY_TOO_LARGE', async () => {
    const fields = Array.from({ length: 450 }, () => 'id').join(' ');
    const answer = await refusedAtGateway(stack, () => postGraphQL(stack, { query: `{ products { ${fields} } }` }));
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('QUERY_TOO_LARGE');
  });

  it('a query over MAX_QUERY_TOKENS sent by GET: 400 QUERY_TOO_LARGE', async () => {
    const fields = Array.from({ length: 450 }, () => 'id').join(' ');
    const answer = await refusedAtGateway(stack, () =>
      send(`${stack.gatewayUrl}/graphql?query=${encodeURIComponent(`{ products { ${fields} } }`)}`, {
        headers: { 'apollo-require-preflight': 'true' },
      }),
    );
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('QUERY_TOO_LARGE');
  });

  it('a query nested deeper than MAX_QUERY_DEPTH: 400 QUERY_TOO_DEEP', async () => {
    // products(1) reviews(2) product(3) reviews(4) product(5) reviews(6) product(7) reviews(8) body(9)
    const query = '{ products { reviews { product { reviews { product { reviews { product { reviews { body } } } } } } } } }';
    const answer = await refusedAtGateway(stack, () => postGraphQL(stack, { query }));
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('QUERY_TOO_DEEP');
    // One level less is within the limit.
    const within = await postGraphQL(stack, { query: '{ products { reviews { product { reviews { product { reviews { product { id } } } } } } } }' });
    expect(within.status).toBe(200);
    expect(within.body.errors).toBeUndefined();
  });

  it('depth hidden in fragments (named and inline): 400 QUERY_TOO_DEEP', async () => {
    const query = `
      { products { ...A } }
      fragment A on Product { reviews { ...B } }
      fragment B on Review { product { ... on Product { reviews { product { ...C } } } } }
      fragment C on Product { reviews { product { reviews { body } } } }`;
    const answer = await refusedAtGateway(stack, () => postGraphQL(stack, { query }));
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('QUERY_TOO_DEEP');
  });

  it('absurd nesting is refused before it is parsed: 400 QUERY_TOO_DEEP', async () => {
    // Fields that do not exist: had it been parsed and validated, this would be a validation error.
    const query = `${'{ x '.repeat(60)}${'}'.repeat(60)}`;
    const answer = await refusedAtGateway(stack, () => postGraphQL(stack, { query }));
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('QUERY_TOO_DEEP');
  });

  it('more aliases than MAX_QUERY_ALIASES: 400 TOO_MANY_ALIASES', async () => {
    const aliases = Array.from({ length: 6 }, (_, i) => `a${i}: name`).join(' ');
    const answer = await refusedAtGateway(stack, () => postGraphQL(stack, { query: `{ products { ${aliases} } }` }));
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('TOO_MANY_ALIASES');
  });

  it('aliases multiplied through fragments (each spread counts): 400 TOO_MANY_ALIASES', async () => {
    // Two aliases in F, F spread three times: six aliased fields to resolve.
    const query = `
      { products { ...F ... on Product { ...F } reviews { product { ...F } } } }
      fragment F on Product { x: name y: price }`;
    const answer = await refusedAtGateway(stack, () => postGraphQL(stack, { query }));
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('TOO_MANY_ALIASES');
  });

  it('an exponential fragment fan-out is measured, not expanded: 400 TOO_MANY_ALIASES', async () => {
    // F0 has one alias; Fk spreads Fk-1 twice: F20 stands for a million aliased fields.
    const fragments = ['fragment F0 on Product { a: name }'];
    for (let k = 1; k <= 20; k++) fragments.push(`fragment F${k} on Product { ...F${k - 1} ...F${k - 1} }`);
    const answer = await refusedAtGateway(stack, () => postGraphQL(stack, { query: `{ products { ...F20 } } ${fragments.join(' ')}` }));
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('TOO_MANY_ALIASES');
  });

  it('more top-level fields than MAX_ROOT_FIELDS: 400 TOO_MANY_ROOT_FIELDS', async () => {
    const answer = await refusedAtGateway(stack, () =>
      postGraphQL(stack, { query: '{ products { id } me { id } product(id: "p1") { id } __typename users { id } }' }),
    );
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('TOO_MANY_ROOT_FIELDS');
  });

  it('top-level fields hidden in a fragment on Query: 400 TOO_MANY_ROOT_FIELDS', async () => {
    const query = '{ ...Q ... on Query { me { id } } } fragment Q on Query { products { id } p: product(id: "p1") { id } __typename t: __typename }';
    const answer = await refusedAtGateway(stack, () => postGraphQL(stack, { query }));
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('TOO_MANY_ROOT_FIELDS');
  });

  it('a fragment cycle: 400 GRAPHQL_VALIDATION_FAILED', async () => {
    const query = '{ products { ...A } } fragment A on Product { reviews { product { ...B } } } fragment B on Product { ...A }';
    const answer = await refusedAtGateway(stack, () => postGraphQL(stack, { query }));
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('CSRF: a text/plain POST (a "simple" cross-site request) without a preflight header: 400 BAD_REQUEST', async () => {
    const answer = await refusedAtGateway(stack, () =>
      postGraphQL(stack, JSON.stringify({ query: '{ products { id } }' }), { 'content-type': 'text/plain' }),
    );
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('BAD_REQUEST');
  });

  it('CSRF: a GET without a preflight header: 400 BAD_REQUEST; with one it is served', async () => {
    const url = `${stack.gatewayUrl}/graphql?query=${encodeURIComponent('{ products { id } }')}`;
    const answer = await refusedAtGateway(stack, () => send(url, { headers: { accept: 'application/json' } }));
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('BAD_REQUEST');
    const preflighted = await send(url, { headers: { accept: 'application/json', 'apollo-require-preflight': 'true' } });
    expect(preflighted.status).toBe(200);
    expect(preflighted.body.data.products).toHaveLength(3);
  });

  it('a mutation over GET: 405 with Allow: POST, and nothing written', async () => {
    const bob = stack.client();
    await bob.login('bob', 'builder');
    const mutation = 'mutation { addReview(productId: "p2", body: "sent by GET") { id } }';
    const answer = await refusedAtGateway(stack, () =>
      send(`${stack.gatewayUrl}/graphql?query=${encodeURIComponent(mutation)}`, {
        headers: { ...bob.credentialHeaders(), 'apollo-require-preflight': 'true' },
      }),
    );
    expect(answer.status).toBe(405);
    expect(answer.code).toBe('BAD_REQUEST');
    expect(answer.headers.get('allow')).toBe('POST');
    const reviews = await stack.client().query('{ product(id: "p2") { reviews { body } } }');
    expect(reviews.body.data?.product.reviews.map((review: { body: string }) => review.body)).not.toContain('sent by GET');
  });

  it('a batched request (an array of operations): 400 BAD_REQUEST', async () => {
    const answer = await refusedAtGateway(stack, () =>
      postGraphQL(stack, [{ query: '{ products { id } }' }, { query: '{ products { name } }' }]),
    );
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('BAD_REQUEST');
  });

  it('outside production introspection and field suggestions stay on', async () => {
    const introspection = await postGraphQL(stack, { query: '{ __schema { queryType { name } } }' });
    expect(introspection.status).toBe(200);
    expect(introspection.body.data.__schema.queryType.name).toBe('Query');
    const typo = await postGraphQL(stack, { query: '{ prodcts { id } }' });
    expect(typo.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(typo.body.errors[0].message).toMatch(/Did you mean/);
  });
});

describe('request limit settings', () => {
  it('has defaults that admit the playground\'s introspection query and the four-subgraph query', () => {
    const { hardening } = loadGatewayConfig({});
    expect(hardening.limits).toEqual({
      requestBytes: 1024 * 1024,
      jsonDepth: 64,
      queryLength: 100_000,
      queryTokens: 5000,
      queryDepth: 20,
      queryAliases: 30,
      rootFields: 20,
    });
    expect(hardening.introspection).toBe(true);
    expect(getIntrospectionQuery().length).toBeLessThan(hardening.limits.queryLength);
  });

  it('turns introspection off in production unless INTROSPECTION=true (or the playground needs it)', () => {
    expect(loadGatewayConfig({ NODE_ENV: 'production' }).hardening.introspection).toBe(false);
    expect(loadGatewayConfig({ NODE_ENV: 'production', INTROSPECTION: 'true' }).hardening.introspection).toBe(true);
    expect(loadGatewayConfig({ NODE_ENV: 'production', PLAYGROUND: 'true' }).hardening.introspection).toBe(true);
    expect(loadGatewayConfig({ INTROSPECTION: 'false' }).hardening.introspection).toBe(false);
  });

  it.each([
    ['MAX_REQUEST_BYTES', '12'],
    ['MAX_QUERY_DEPTH', '0'],
    ['MAX_QUERY_TOKENS', 'many'],
    ['MAX_QUERY_ALIASES', '-1'],
    ['MAX_ROOT_FIELDS', '1.5'],
    ['MAX_JSON_DEPTH', '1'],
    ['MAX_QUERY_LENGTH', '1e9'],
    ['INTROSPECTION', 'yes'],
    ['LOGIN_RATE_LIMIT_PER_IP', '0'],
    ['LOGIN_RATE_LIMIT_PER_USERNAME', 'ten'],
    ['LOGIN_RATE_LIMIT_WINDOW', '0'],
  ])('refuses %s=%s at start with a ConfigError naming it', (variable, value) => {
    expect(() => loadGatewayConfig({ [variable]: value })).toThrow(ConfigError);
    try {
      loadGatewayConfig({ [variable]: value });
    } catch (error) {
      expect((error as ConfigError).variable).toBe(variable);
    }
  });
});
