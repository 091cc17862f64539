/**
 * @authenticated, @requiresScopes and @policy: enforced by the gateway before
 * query planning (the subgraph is never asked for what the caller may not
 * see), and again by each subgraph, in every auth mode.
 */
import fs from 'node:fs';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userIdentity } from '@fedgw/subgraph-kit';
import { allowed, createPolicyRegistry, fieldChecks, readAuthorizationRules, type Check } from '@fedgw/subgraph-kit/authorization';
import { mintAccessToken } from '../shared/auth-modes/token/access-token.js';
import { loadSigningKeys } from '../gateway/auth/signing-keys.js';
import { loadSubgraphConfig } from '../shared/config/subgraph.js';
import { POLICIES } from '../shared/authorization/policies.js';
import { startSubgraph, type SubgraphDefinition } from '../shared/subgraph-server.js';
import { costResolverCalls } from '../subgraphs/products/index.js';
import { eventually } from './helpers/eventually.js';
import { modeVariants } from './helpers/modes.js';
import { DEEP_QUERY, DEMO_SUBGRAPHS } from '../subgraphs/demo.js';
import { startStack, type Stack } from './helpers/stack.js';
import { postJson, type GraphQLResult } from './helpers/http.js';

const UNAUTHORIZED = 'UNAUTHORIZED_FIELD_OR_TYPE';

/** A test-only subgraph with one field per kind of rule. */
const vaultSubgraph: SubgraphDefinition = {
  name: 'vault',
  defaultPort: 0,
  typeDefs: parse(/* GraphQL */ `
    extend schema
      @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@authenticated", "@requiresScopes", "@policy"])

    type Query {
      vault: Vault
      secret: Secret
      items: [Item!]!
    }

    interface Item {
      id: ID!
    }

    type Gem implements Item {
      id: ID!
      price: Float @requiresScopes(scopes: [["admin"]])
    }

    type Vault {
      open: String!
      "admin, or both support and billing"
      either: String @requiresScopes(scopes: [["admin"], ["support", "billing"]])
      "non-null: refusing it nulls the whole vault"
      strict: String! @requiresScopes(scopes: [["admin"]])
      staff: String @policy(policies: [["employee"]])
      mystery: String @policy(policies: [["no-such-policy"]])
    }

    "Every field returning a Secret, and every field of it, needs a logged-in user."
    type Secret @authenticated {
      code: String!
    }
  `),
  resolvers: {
    Query: {
      vault: () => ({ open: 'open', either: 'either', strict: 'strict', staff: 'staff', mystery: 'mystery' }),
      secret: () => ({ code: 'swordfish' }),
      items: () => [{ __typename: 'Gem', id: 'g1', price: 5 }],
    },
    Item: { __resolveType: (item: { __typename: string }) => item.__typename },
  },
};

/** data and errors only: responses may carry extensions too. */
const answer = ({ body }: GraphQLResult) => ({ data: body.data, errors: body.errors });
/** Added to a running gateway by a live reload of the subgraph list. */
const ledgerSubgraph: SubgraphDefinition = {
  name: 'ledger',
  defaultPort: 0,
  typeDefs: parse(/* GraphQL */ `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@requiresScopes"])
    type Query { ledger: Ledger }
    type Ledger { entries: Int, balance: Float @requiresScopes(scopes: [["admin"]]) }
  `),
  resolvers: { Query: { ledger: () => ({ entries: 2, balance: 10.5 }) } },
};

const codesAndPaths = (result: GraphQLResult) => result.body.errors?.map((error) => [error.extensions?.code, error.path]);

describe.each(modeVariants())('authorization directives, $name mode', (variant) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode: variant.mode, env: variant.env, record: true, subgraphs: [...DEMO_SUBGRAPHS, vaultSubgraph] });
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** What each subgraph was asked by the gateway for client operations (not the gateway's schema loading). */
  const operationsSeen = () =>
    Object.fromEntries(
      Object.entries(stack.seen).map(([name, requests]) => [
        name,
        requests.filter((request) => !request.body.includes('__ApolloGetServiceDefinition__')).map((request) => request.body),
      ]),
    );
  const newOperations = (before: Record<string, string[]>) =>
    Object.fromEntries(Object.entries(operationsSeen()).map(([name, bodies]) => [name, bodies.slice(before[name].length)]));

  async function loggedIn(username: 'alice' | 'bob') {
    const client = stack.client();
    const login = await client.login(username, username === 'alice' ? 'wonderland' : 'builder');
    expect(login.status).toBe(200);
    return client;
  }

  it("gives bob null and UNAUTHORIZED_FIELD_OR_TYPE for cost, never asking the products subgraph or calling its resolver", async () => {
    const bob = await loggedIn('bob');
    const before = operationsSeen();
    const calls = costResolverCalls.count;

    const result = await bob.query('{ products { id name cost } }');
    expect(result.status).toBe(200);
    expect(result.body.data?.products).toEqual([
      { id: 'p1', name: 'Teapot', cost: null },
      { id: 'p2', name: 'Looking glass', cost: null },
      { id: 'p3', name: 'Pocket watch', cost: null },
    ]);
    expect(codesAndPaths(result)).toEqual([
      [UNAUTHORIZED, ['products', 0, 'cost']],
      [UNAUTHORIZED, ['products', 1, 'cost']],
      [UNAUTHORIZED, ['products', 2, 'cost']],
    ]);
    const asked = newOperations(before).products;
    expect(asked).toHaveLength(1);
    expect(asked[0]).not.toContain('cost');
    expect(costResolverCalls.count).toBe(calls);
  });

  it('does the same deep in an entity fetch, and keeps the rest of the data', async () => {
    const bob = await loggedIn('bob');
    const before = operationsSeen();
    const calls = costResolverCalls.count;
    const result = await bob.query(DEEP_QUERY);
    expect(codesAndPaths(result)).toEqual([[UNAUTHORIZED, ['me', 'orders', 0, 'items', 0, 'product', 'cost']]]);
    const product = result.body.data?.me.orders[0].items[0].product;
    expect(product).toMatchObject({ name: 'Looking glass', cost: null });
    expect(product.reviews).toHaveLength(1);
    expect(newOperations(before).products.join('\n')).not.toContain('cost');
    expect(costResolverCalls.count).toBe(calls);
  });

  it('filters a repeated query for each caller by their own rules, never with another caller’s decision', async () => {
    // The gateway remembers a filtered operation per parsed operation and caller facts: alternate callers on one query text.
    const [alice, bob, anonymous] = [await loggedIn('alice'), await loggedIn('bob'), stack.client()];
    const query = '{ products { id cost } }';
    for (let round = 0; round < 3; round++) {
      const [forAlice, forBob, forNobody] = [await alice.query(query), await bob.query(query), await anonymous.query(query)];
      expect(forAlice.body.errors, `round ${round}`).toBeUndefined();
      expect(forAlice.body.data?.products.map((product: { cost: number | null }) => product.cost)).toEqual([9.5, 48, 30]);
      expect(forBob.body.data?.products.map((product: { cost: number | null }) => product.cost)).toEqual([null, null, null]);
      expect(codesAndPaths(forBob)).toEqual([0, 1, 2].map((i) => [UNAUTHORIZED, ['products', i, 'cost']]));
      expect(forNobody.body.data?.products.map((product: { cost: number | null }) => product.cost)).toEqual([null, null, null]);
      expect(codesAndPaths(forNobody)).toEqual([0, 1, 2].map((i) => [UNAUTHORIZED, ['products', i, 'cost']]));
    }
  });

  it('gives alice the cost, through the resolver', async () => {
    const alice = await loggedIn('alice');
    const calls = costResolverCalls.count;
    const result = await alice.query('{ products { cost } }');
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data?.products).toEqual([{ cost: 9.5 }, { cost: 48 }, { cost: 30 }]);
    expect(costResolverCalls.count).toBe(calls + 3);
  });

  it('answers an anonymous me with an error at its path, and the public fields still answer', async () => {
    const before = operationsSeen();
    const result = await stack.client().query('{ me { id } products { name } }');
    expect(result.status).toBe(200);
    expect(result.body.data).toEqual({ me: null, products: [{ name: 'Teapot' }, { name: 'Looking glass' }, { name: 'Pocket watch' }] });
    expect(codesAndPaths(result)).toEqual([[UNAUTHORIZED, ['me']]]);
    const asked = newOperations(before);
    expect(asked.accounts).toEqual([]);
    expect(asked.products).toHaveLength(1);
  });

  it('calls no subgraph at all for a request that is entirely unauthorized', async () => {
    const before = operationsSeen();
    const me = await stack.client().query('{ me { id name orders { id } } }');
    expect(me.status).toBe(200);
    expect(me.body.data).toEqual({ me: null });
    expect(codesAndPaths(me)).toEqual([[UNAUTHORIZED, ['me']]]);

    // A non-null mutation result: the null propagates to data.
    const review = await stack.client().query('mutation { addReview(productId: "p1", body: "spam") { id } }');
    expect(review.body.data).toBeNull();
    expect(codesAndPaths(review)).toEqual([[UNAUTHORIZED, ['addReview']]]);

    // A type-level rule: Query.secret returns the @authenticated type Secret.
    const secret = await stack.client().query('{ secret { code } }');
    expect(codesAndPaths(secret)).toEqual([[UNAUTHORIZED, ['secret']]]);

    expect(Object.values(newOperations(before)).flat()).toEqual([]);
  });

  it('lets a logged-in user through the type-level rule', async () => {
    const bob = await loggedIn('bob');
    const result = await bob.query('{ secret { code } }');
    expect(result.body.data).toEqual({ secret: { code: 'swordfish' } });
    expect(result.body.errors).toBeUndefined();
  });

  it('applies normal null propagation to a non-null unauthorized field', async () => {
    const bob = await loggedIn('bob');
    const result = await bob.query('{ vault { open strict } products { id } }');
    expect(result.body.data?.vault).toBeNull();
    expect(result.body.data?.products).toHaveLength(3);
    expect(codesAndPaths(result)).toEqual([[UNAUTHORIZED, ['vault', 'strict']]]);

    const alice = await loggedIn('alice');
    expect(answer(await alice.query('{ vault { open strict } }'))).toEqual({ data: { vault: { open: 'open', strict: 'strict' } }, errors: undefined });
  });

  it('keeps aliases, fragments and variables', async () => {
    const bob = await loggedIn('bob');
    const result = await bob.query(
      'query Q($id: ID!) { first: product(id: $id) { ...Money } all: products { ...Money } } fragment Money on Product { label: name howMuch: cost }',
      { variables: { id: 'p2' } },
    );
    expect(result.body.data).toEqual({
      first: { label: 'Looking glass', howMuch: null },
      all: [
        { label: 'Teapot', howMuch: null },
        { label: 'Looking glass', howMuch: null },
        { label: 'Pocket watch', howMuch: null },
      ],
    });
    expect(codesAndPaths(result)).toEqual([
      [UNAUTHORIZED, ['first', 'howMuch']],
      [UNAUTHORIZED, ['all', 0, 'howMuch']],
      [UNAUTHORIZED, ['all', 1, 'howMuch']],
      [UNAUTHORIZED, ['all', 2, 'howMuch']],
    ]);
  });

  it('filters inside fragments on an abstract type', async () => {
    const bob = await loggedIn('bob');
    const result = await bob.query('{ items { id ... on Gem { price } } }');
    expect(result.body.data).toEqual({ items: [{ id: 'g1', price: null }] });
    expect(codesAndPaths(result)).toEqual([[UNAUTHORIZED, ['items', 0, 'price']]]);
    const alice = await loggedIn('alice');
    expect(answer(await alice.query('{ items { ... on Gem { price } } }'))).toEqual({ data: { items: [{ price: 5 }] }, errors: undefined });
  });

  it('runs the named operation of a document with several, and answers a missing operationName with a code', async () => {
    const document = 'query Public { products { name } } query Private { me { id } products { price } }';
    const named: GraphQLResult = await postJson(`${stack.gatewayUrl}/graphql`, { query: document, operationName: 'Private' });
    expect(named.body.data).toEqual({ me: null, products: [{ price: 25 }, { price: 120 }, { price: 75 }] });
    expect(codesAndPaths(named)).toEqual([[UNAUTHORIZED, ['me']]]);
    const unnamed = await stack.client().query(document);
    expect(unnamed.body.errors?.[0].extensions?.code).toBe('INVALID_GRAPHQL');
  });

  it('still fetches an authorized object whose every selected field is refused', async () => {
    const bob = await loggedIn('bob');
    const result = await bob.query('{ product(id: "p1") { cost } }');
    expect(result.body.data).toEqual({ product: { cost: null } });
    expect(codesAndPaths(result)).toEqual([[UNAUTHORIZED, ['product', 'cost']]]);
  });

  it('treats @requiresScopes as an OR of ANDs', async () => {
    const alice = await loggedIn('alice');
    const bob = await loggedIn('bob');
    expect(answer(await alice.query('{ vault { either } }'))).toEqual({ data: { vault: { either: 'either' } }, errors: undefined });
    expect(codesAndPaths(await bob.query('{ vault { either } }'))).toEqual([[UNAUTHORIZED, ['vault', 'either']]]);
  });

  // Only token mode lets a test mint a caller with any scope set.
  if (variant.mode === 'token') it('treats @requiresScopes as an OR of ANDs, for callers holding part of a set', async () => {
    const keys = await loadSigningKeys(stack.env.GATEWAY_KEYS_DIR);
    const callerWith = async (scopes: string[]) => {
      const client = stack.client();
      client.token = await mintAccessToken(keys.current, userIdentity('u9', scopes), { issuer: stack.env.GATEWAY_ISSUER, ttlSeconds: 60 });
      return (await client.query('{ vault { either } }')).body;
    };
    expect((await callerWith(['support', 'billing'])).data?.vault).toEqual({ either: 'either' });
    expect((await callerWith(['billing', 'admin'])).data?.vault).toEqual({ either: 'either' });
    expect((await callerWith(['support'])).errors?.[0].extensions?.code).toBe(UNAUTHORIZED);
    expect((await callerWith(['billing', 'other'])).errors?.[0].extensions?.code).toBe(UNAUTHORIZED);
  });

  it('allows and denies with a policy, and denies an unknown policy to everyone', async () => {
    const alice = await loggedIn('alice');
    const bob = await loggedIn('bob');
    // The demo policy: employee (alice is one, bob is not).
    expect(answer(await alice.query('{ product(id: "p1") { supplier } }'))).toEqual({ data: { product: { supplier: 'Mad Hatter & Co' } }, errors: undefined });
    const denied = await bob.query('{ product(id: "p1") { name supplier } }');
    expect(denied.body.data).toEqual({ product: { name: 'Teapot', supplier: null } });
    expect(codesAndPaths(denied)).toEqual([[UNAUTHORIZED, ['product', 'supplier']]]);
    expect(codesAndPaths(await stack.client().query('{ vault { staff } }'))).toEqual([[UNAUTHORIZED, ['vault', 'staff']]]);
    expect(answer(await alice.query('{ vault { staff } }'))).toEqual({ data: { vault: { staff: 'staff' } }, errors: undefined });

    const unknown = await alice.query('{ vault { open mystery } }');
    expect(unknown.body.data).toEqual({ vault: { open: 'open', mystery: null } });
    expect(codesAndPaths(unknown)).toEqual([[UNAUTHORIZED, ['vault', 'mystery']]]);
  });

  it('does not filter introspection', async () => {
    const result = await stack.client().query('{ __type(name: "Product") { fields { name } } }');
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data?.__type.fields.map((field: { name: string }) => field.name)).toEqual(
      expect.arrayContaining(['cost', 'supplier']),
    );
    // Next to a refused field, introspection still answers.
    const mixed = await stack.client().query('{ __typename me { id } }');
    expect(mixed.body.data).toEqual({ __typename: 'Query', me: null });
    expect(codesAndPaths(mixed)).toEqual([[UNAUTHORIZED, ['me']]]);
  });

  it('enforces the rules of a supergraph loaded by a live reload', async () => {
    const ledger = await startSubgraph(ledgerSubgraph, loadSubgraphConfig('ledger', 0, { ...stack.env, PORT: '0' }));
    const file = stack.env.SUBGRAPHS_FILE;
    const entries = JSON.parse(fs.readFileSync(file, 'utf8')) as { name: string; url: string }[];
    try {
      fs.writeFileSync(`${file}.tmp`, JSON.stringify([...entries, { name: 'ledger', url: `${ledger.url}/graphql` }]));
      fs.renameSync(`${file}.tmp`, file);
      const bob = await loggedIn('bob');
      // Until the reload, the field is unknown (a validation error); then bob is refused balance.
      const refused = await eventually(async () => {
        const result = await bob.query('{ ledger { entries balance } }');
        expect(result.body.data?.ledger).toBeDefined();
        return result;
      });
      expect(refused.body.data).toEqual({ ledger: { entries: 2, balance: null } });
      expect(codesAndPaths(refused)).toEqual([[UNAUTHORIZED, ['ledger', 'balance']]]);
      const alice = await loggedIn('alice');
      expect(answer(await alice.query('{ ledger { balance } }'))).toEqual({ data: { ledger: { balance: 10.5 } }, errors: undefined });
    } finally {
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(entries));
      fs.renameSync(`${file}.tmp`, file);
      await eventually(async () => expect((await stack.client().query('{ ledger { entries } }')).body.data).toBeUndefined());
      await ledger.close();
    }
  });

  it('refuses the field in the subgraph itself, for a caller who reaches it without the gateway filter', async () => {
    // Bob's real credentials as the gateway sent them to the products subgraph
    // (token mode: a valid identity token for bob; session mode: his session id).
    const bob = await loggedIn('bob');
    const before = operationsSeen();
    await bob.query('{ products { name } }');
    const index = before.products.length;
    const sent = stack.seen.products.filter((request) => !request.body.includes('__ApolloGetServiceDefinition__'))[index];
    expect(sent).toBeDefined();
    const identityHeaders: Record<string, string> = {};
    for (const name of ['authorization', 'x-session-id']) {
      const value = sent.headers[name];
      if (typeof value === 'string') identityHeaders[name] = value;
    }
    expect(Object.keys(identityHeaders)).not.toEqual([]);

    const calls = costResolverCalls.count;
    const response = await fetch(`${stack.subgraphs.products.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...identityHeaders },
      body: JSON.stringify({ query: '{ products { name cost } }' }),
    });
    const body = (await response.json()) as GraphQLResult['body'];
    expect(body.data?.products[0]).toEqual({ name: 'Teapot', cost: null });
    expect(body.errors?.map((error) => [error.extensions?.code, error.path])).toEqual([
      [UNAUTHORIZED, ['products', 0, 'cost']],
      [UNAUTHORIZED, ['products', 1, 'cost']],
      [UNAUTHORIZED, ['products', 2, 'cost']],
    ]);
    expect(costResolverCalls.count).toBe(calls);

    // Straight to the entity resolver, as an entity fetch would.
    const entity = await fetch(`${stack.subgraphs.products.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...identityHeaders },
      body: JSON.stringify({
        query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Product { supplier } } }',
        variables: { r: [{ __typename: 'Product', id: 'p1' }] },
      }),
    });
    const entityBody = (await entity.json()) as GraphQLResult['body'];
    expect(entityBody.errors?.map((error) => [error.extensions?.code, error.path])).toEqual([
      [UNAUTHORIZED, ['_entities', 0, 'supplier']],
    ]);
  });
});

describe('the shared rules', () => {
  const rules = readAuthorizationRules(
    parse(/* GraphQL */ `
      extend schema
        @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", { name: "@requiresScopes", as: "@scopes" }])
      type Query {
        a: String @scopes(scopes: [["admin"], ["support", "billing"]])
        b: String @federation__authenticated
        c: String @federation__policy(policies: [["p1", "p2"], ["p3"]])
        d: Money
      }
      scalar Money @scopes(scopes: "finance")
    `),
  );
  const policies = createPolicyRegistry({ p1: () => true, p2: (identity) => identity?.id === 'u1', p3: () => false }, () => {});
  const may = (field: string, returnType: string, identity: ReturnType<typeof userIdentity> | null) =>
    allowed(fieldChecks(rules, 'Query', field, returnType), identity, policies);

  it('reads imported, renamed and prefixed directives', () => {
    expect(Object.fromEntries(rules)).toEqual({
      'Query.a': [{ kind: 'requiresScopes', anyOf: [['admin'], ['support', 'billing']] }],
      'Query.b': [{ kind: 'authenticated' }],
      'Query.c': [{ kind: 'policy', anyOf: [['p1', 'p2'], ['p3']] }],
      Money: [{ kind: 'requiresScopes', anyOf: [['finance']] }],
    } satisfies Record<string, Check[]>);
  });

  it('evaluates @requiresScopes as an OR of ANDs', () => {
    expect(may('a', 'String', userIdentity('u2', ['admin']))).toBe(true);
    expect(may('a', 'String', userIdentity('u2', ['billing', 'support']))).toBe(true);
    expect(may('a', 'String', userIdentity('u2', ['support']))).toBe(false);
    expect(may('a', 'String', userIdentity('u2', []))).toBe(false);
    expect(may('a', 'String', null)).toBe(false);
  });

  it('evaluates @policy as an OR of ANDs, and @authenticated as a logged-in user', () => {
    expect(may('c', 'String', userIdentity('u1', []))).toBe(true);
    expect(may('c', 'String', userIdentity('u2', []))).toBe(false);
    expect(may('b', 'String', userIdentity('u2', []))).toBe(true);
    expect(may('b', 'String', null)).toBe(false);
    expect(may('b', 'String', { kind: 'gateway', id: 'http://gateway', scopes: [] })).toBe(false);
  });

  it('applies a type-level rule to the fields that return the type', () => {
    expect(may('d', 'Money', userIdentity('u2', ['finance']))).toBe(true);
    expect(may('d', 'Money', userIdentity('u2', []))).toBe(false);
  });

  it('denies an unknown policy and logs it once', () => {
    const warnings: string[] = [];
    const registry = createPolicyRegistry(POLICIES, (message) => warnings.push(message));
    const alice = userIdentity('u1', ['admin']);
    expect(registry.allows('employee', alice)).toBe(true);
    expect(registry.allows('no-such-policy', alice)).toBe(false);
    expect(registry.allows('no-such-policy', alice)).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('no-such-policy');
  });
});
