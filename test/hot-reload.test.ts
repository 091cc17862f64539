/**
 * The gateway's live subgraph list, in every auth mode: a running gateway
 * follows SUBGRAPHS_FILE and the subgraphs' schemas without a restart, and
 * nothing put in the file (or done to a subgraph) makes it serve less than
 * the last good supergraph. Failures are checked by their stable codes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../shared/config/gateway.js';
import { loadSubgraphConfig } from '../shared/config/subgraph.js';
import { startSubgraph, type RunningSubgraph, type SubgraphDefinition } from '../shared/subgraph-server.js';
import { startGateway } from '../gateway/server.js';
import type { Logger } from '../shared/observability/logger.js';
import { eventually } from './helpers/eventually.js';
import { modeVariants } from './helpers/modes.js';
import { freePort } from '../scripts/lib/local.js';
import { startStack, type Stack } from './helpers/stack.js';

type Entry = { name: string; url: string };

/** A test subgraph: an entity, a field that shows the caller, and a field that waits for the test. */
function widgetsSubgraph(options: { extraField?: boolean; gate?: Gate } = {}): SubgraphDefinition {
  return {
    name: 'widgets',
    defaultPort: 0,
    typeDefs: parse(/* GraphQL */ `
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
      type Query { widgets: [Widget!]! }
      type Widget @key(fields: "id") {
        id: ID!
        seenBy: String
        slow: String
        ${options.extraField ? 'color: String' : ''}
      }
    `),
    resolvers: {
      Query: { widgets: () => [{ id: 'w1' }] },
      Widget: {
        seenBy: (_widget: unknown, _args, { identity }) => identity?.id ?? null,
        slow: async () => {
          options.gate?.entered();
          await options.gate?.released;
          return 'done';
        },
        ...(options.extraField ? { color: () => 'blue' } : {}),
      },
    },
  };
}

/** Same subgraph name, but a `Product.name` that contradicts the products subgraph. */
const clashingSubgraph: SubgraphDefinition = {
  name: 'widgets',
  defaultPort: 0,
  typeDefs: parse(/* GraphQL */ `
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
    type Query { clash: Product }
    type Product @key(fields: "id") { id: ID! name: Int }
  `),
  resolvers: { Query: { clash: () => null } },
};

interface Gate {
  entered(): void;
  hasEntered: Promise<void>;
  release(): void;
  released: Promise<void>;
}

function gate(): Gate {
  let entered!: () => void;
  let release!: () => void;
  const hasEntered = new Promise<void>((resolve) => (entered = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  return { entered, hasEntered, release, released };
}

/** Replaces the list the way tools and editors do: a new file renamed over the old one. */
function replaceList(file: string, content: Entry[] | string) {
  const text = typeof content === 'string' ? content : JSON.stringify(content, null, 2);
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

async function readyz(url: string) {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as any };
}

async function failureOf(url: string) {
  return (await readyz(url)).body.supergraph.failure;
}

describe.each(modeVariants())('hot reload of the subgraph list, $name mode', (variant) => {
  let stack: Stack;
  let demo: Entry[];
  let widgets: RunningSubgraph;
  let clash: RunningSubgraph;
  const inFlight = gate();
  const started: { close(): Promise<void> }[] = [];
  const file = () => stack.env.SUBGRAPHS_FILE;
  const start = async (definition: SubgraphDefinition, port = 0) => {
    const subgraph = await startSubgraph(definition, loadSubgraphConfig(definition.name, 0, { ...stack.env, PORT: String(port) }));
    started.push(subgraph);
    return subgraph;
  };
  const widgetsEntry = () => ({ name: 'widgets', url: `${widgets.url}/graphql` });

  beforeAll(async () => {
    // No polling here: every change below must be seen by watching the file.
    stack = await startStack({ mode: variant.mode, env: { ...variant.env, SUBGRAPH_POLL_INTERVAL: '0' } });
    demo = JSON.parse(fs.readFileSync(file(), 'utf8')) as Entry[];
    widgets = await start(widgetsSubgraph({ gate: inFlight }));
    clash = await start(clashingSubgraph);
  });
  afterAll(async () => {
    inFlight.release();
    for (const subgraph of started) await subgraph.close();
    await stack?.close();
  });

  it('adds a subgraph written into the file, with the caller visible in it, without a restart', async () => {
    const alice = stack.client();
    expect((await alice.login('alice', 'wonderland')).status).toBe(200);
    const before = await alice.query('{ widgets { id } }');
    expect(before.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    replaceList(file(), [...demo, widgetsEntry()]);

    const result = await eventually(async () => {
      const answer = await alice.query('{ widgets { id seenBy } me { id } }');
      expect(answer.body.errors).toBeUndefined();
      return answer;
    });
    expect(result.body.data).toEqual({ widgets: [{ id: 'w1', seenBy: 'u1' }], me: { id: 'u1' } });
    const ready = await readyz(stack.gatewayUrl);
    expect(ready.status).toBe(200);
    expect(ready.body.supergraph.subgraphs).toEqual(['accounts', 'products', 'reviews', 'orders', 'widgets']);
    expect(ready.body.supergraph.failure).toBeUndefined();
  });

  it('keeps the last good supergraph when a new subgraph is unreachable, and says which', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}/graphql`;
    replaceList(file(), [...demo, widgetsEntry(), { name: 'gadgets', url: nobody }]);

    const failure = await eventually(async () => {
      const current = await failureOf(stack.gatewayUrl);
      expect(current?.code).toBe('SUBGRAPH_UNREACHABLE');
      return current;
    });
    expect(failure.subgraphs).toEqual(['gadgets']);
    const ready = await readyz(stack.gatewayUrl);
    // Still serving: ready, with the failure as detail.
    expect(ready.status).toBe(200);
    expect(ready.body.supergraph.subgraphs).toContain('widgets');
    expect(ready.body.supergraph.lastError).toEqual(expect.any(String));
    const result = await stack.client().query('{ widgets { id } products { id } }');
    expect(result.body.errors).toBeUndefined();
  });

  it('keeps the last good supergraph on a composition error, and recovers when the file is fixed', async () => {
    replaceList(file(), [...demo, { name: 'widgets', url: `${clash.url}/graphql` }]);

    const failure = await eventually(async () => {
      const current = await failureOf(stack.gatewayUrl);
      expect(current?.code).toBe('COMPOSITION_FAILED');
      return current;
    });
    expect(failure.subgraphs).toEqual(['widgets']);
    expect(failure.codes).toContain('FIELD_TYPE_MISMATCH');
    // The old schema answers: widgets is there, the clashing field is not.
    const old = await stack.client().query('{ widgets { id } products { name } }');
    expect(old.body.errors).toBeUndefined();
    expect(old.body.data?.products[0].name).toEqual(expect.any(String));
    const clashing = await stack.client().query('{ clash { id } }');
    expect(clashing.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    replaceList(file(), [...demo, widgetsEntry()]);
    await eventually(async () => {
      const ready = await readyz(stack.gatewayUrl);
      expect(ready.body.supergraph.failure).toBeUndefined();
      expect(ready.body.supergraph.lastError).toBeUndefined();
    });
    const result = await stack.client().query('{ widgets { id } }');
    expect(result.body.data).toEqual({ widgets: [{ id: 'w1' }] });
  });

  it.each([
    ['malformed JSON', '[{"name": "widgets", '],
    ['an empty list', '[]'],
    ['a name listed twice', JSON.stringify([{ name: 'accounts', url: 'http://127.0.0.1:1/graphql' }, { name: 'accounts', url: 'http://127.0.0.1:2/graphql' }])],
    ['a name unusable as a token audience', JSON.stringify([{ name: 'Accounts!', url: 'http://127.0.0.1:1/graphql' }])],
    ['a URL that is not http(s)', JSON.stringify([{ name: 'accounts', url: 'ftp://127.0.0.1/graphql' }])],
    ['a URL with credentials in it', JSON.stringify([{ name: 'accounts', url: 'http://user:secret@127.0.0.1:1/graphql' }])],
  ])('keeps the last good supergraph when the file has %s', async (_what, text) => {
    // Written in place, like an editor that truncates and rewrites.
    fs.writeFileSync(file(), text);
    await eventually(async () => {
      const current = await failureOf(stack.gatewayUrl);
      expect(current?.code).toBe('SUBGRAPH_LIST_INVALID');
    });
    const result = await stack.client().query('{ widgets { id } products { id } }');
    expect(result.body.errors).toBeUndefined();
    expect((await readyz(stack.gatewayUrl)).status).toBe(200);

    replaceList(file(), [...demo, widgetsEntry()]);
    await eventually(async () => expect(await failureOf(stack.gatewayUrl)).toBeUndefined());
  });

  it('lets a request in flight finish on its schema, then drops a removed subgraph', async () => {
    const pending = stack.client().query('{ widgets { slow } }');
    await inFlight.hasEntered;

    replaceList(file(), demo);
    await eventually(async () => {
      const gone = await stack.client().query('{ widgets { id } }');
      expect(gone.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    });
    inFlight.release();
    const finished = (await pending).body;
    expect(finished.errors).toBeUndefined();
    expect(finished.data).toEqual({ widgets: [{ slow: 'done' }] });

    const ready = await readyz(stack.gatewayUrl);
    expect(ready.body.supergraph.subgraphs).toEqual(['accounts', 'products', 'reviews', 'orders']);
    const rest = await stack.client().query('{ products { id } }');
    expect(rest.body.errors).toBeUndefined();
  });
});

describe.each(modeVariants())('re-introspection and start-up, $name mode', (variant) => {
  let stack: Stack;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    stack = await startStack({ mode: variant.mode, env: { ...variant.env, SUBGRAPH_POLL_INTERVAL: '1' } });
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await stack?.close();
  });

  const startWidgets = async (definition: SubgraphDefinition, port: number) => {
    const subgraph = await startSubgraph(definition, loadSubgraphConfig('widgets', 0, { ...stack.env, PORT: String(port) }));
    closers.push(() => subgraph.close());
    return subgraph;
  };

  it("picks up a subgraph's changed schema on the poll interval, with the file untouched", async () => {
    const port = await freePort();
    const v1 = await startWidgets(widgetsSubgraph(), port);
    const demo = JSON.parse(fs.readFileSync(stack.env.SUBGRAPHS_FILE, 'utf8')) as Entry[];
    replaceList(stack.env.SUBGRAPHS_FILE, [...demo, { name: 'widgets', url: `${v1.url}/graphql` }]);
    await eventually(async () => expect((await stack.client().query('{ widgets { id } }')).body.errors).toBeUndefined());
    const before = await stack.client().query('{ widgets { color } }');
    expect(before.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    // A new version of the subgraph, deployed at the same address.
    await v1.close();
    await startWidgets(widgetsSubgraph({ extraField: true }), port);

    const after = await eventually(async () => {
      const answer = await stack.client().query('{ widgets { color } }');
      expect(answer.body.errors).toBeUndefined();
      return answer;
    });
    expect(after.body.data).toEqual({ widgets: [{ color: 'blue' }] });
    expect(await failureOf(stack.gatewayUrl)).toBeUndefined();
  });

  it('retries at start until every subgraph answers, logging which one is missing, then serves', async () => {
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(stack.dir, 'late-'));
    const listFile = path.join(dir, 'subgraphs.json');
    const demo = JSON.parse(fs.readFileSync(stack.env.SUBGRAPHS_FILE, 'utf8')) as Entry[];
    fs.writeFileSync(
      listFile,
      JSON.stringify([...demo.filter((entry) => entry.name !== 'widgets'), { name: 'widgets', url: `http://127.0.0.1:${port}/graphql` }]),
    );
    const warnings: string[] = [];
    const logger: Logger = { info() {}, warn: (line) => warnings.push(line), error: (line) => warnings.push(line) };
    // Same keys and issuer as the stack's gateway, so the subgraphs accept this one's tokens too.
    const gatewayPort = await freePort();
    const late = await startGateway(
      loadGatewayConfig({ ...stack.env, PORT: String(gatewayPort), SUBGRAPHS_FILE: listFile, SUBGRAPH_POLL_INTERVAL: '0' }),
      { logger },
    );
    closers.push(() => late.close());

    const waiting = await eventually(async () => {
      const ready = await readyz(late.url);
      expect(ready.body.supergraph.failure?.code).toBe('SUBGRAPH_UNREACHABLE');
      return ready;
    });
    expect(waiting.status).toBe(503);
    expect(waiting.body.supergraph.failure.subgraphs).toEqual(['widgets']);
    const early = await fetch(`${late.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ products { id } }' }),
    });
    expect(early.status).toBe(503);
    expect(((await early.json()) as any).error.code).toBe('GATEWAY_NOT_READY');
    // One line per attempt, naming the subgraph and the failure's code.
    expect(warnings.some((line) => line.includes('[SUBGRAPH_UNREACHABLE]') && line.includes('"widgets"'))).toBe(true);

    await startWidgets(widgetsSubgraph(), port);
    await late.ready;
    const result = await fetch(`${late.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ widgets { id } products { id } }' }),
    });
    expect(result.status).toBe(200);
    expect(((await result.json()) as any).errors).toBeUndefined();
    expect((await readyz(late.url)).status).toBe(200);
  });
});
