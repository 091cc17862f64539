/**
 * The subgraph kit's three adapters on real servers, in this process: Apollo
 * Server 5 (kitContext), graphql-yoga 5 (useSubgraphKit) and plain Node
 * middleware (identityMiddleware), each in token mode against a JWKS served
 * here, and one in session mode on a SQLite store written here. Each puts
 * the caller on the context, refuses with the stable code and its status,
 * reports x-auth-cost, and enforces the schema's directives with the
 * policies the subgraph passed in. (The packed kit, installed outside the
 * repository and run behind a gateway: test/subgraph-kit.test.ts.)
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import Database from 'better-sqlite3';
import { execute, parse } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubgraphKit, defineConfig, protectSchema, type IdentityContext, type SubgraphKit } from '@fedgw/subgraph-kit';
import { kitContext } from '@fedgw/subgraph-kit/apollo';
import { identityMiddleware } from '@fedgw/subgraph-kit/express';
import { useSubgraphKit } from '@fedgw/subgraph-kit/yoga';
import { SESSIONS_TABLE_SCHEMA } from '@fedgw/subgraph-kit/session';
import { mintIdentityToken } from '@fedgw/subgraph-kit/token';
import { mintRequestProof, REQUEST_PROOF_HEADER } from '@fedgw/subgraph-kit/request-proof';
import { freePort, tempDir } from '../scripts/lib/local.js';
import { postJson } from './helpers/http.js';

const typeDefs = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@authenticated", "@requiresScopes", "@policy"])

  type Query {
    whoami: String
    secret: String @authenticated
    admin: String @requiresScopes(scopes: [["admin"]])
    staff: String @policy(policies: [["staff"]])
  }
`);

const resolvers = {
  Query: {
    whoami: (_root: unknown, _args: unknown, { identity }: IdentityContext) => (identity ? `${identity.kind}:${identity.id}` : 'anonymous'),
    secret: () => 'secret',
    admin: () => 'admin',
    staff: () => 'staff',
  },
};

const schema = () => protectSchema(buildSubgraphSchema([{ typeDefs, resolvers }]), { typeDefs, policies: { staff: (identity) => identity?.id === 'u1' } });

let dir: string;
let keys: { server: http.Server; url: string; issuer: string; kid: string; privateKey: CryptoKey };
const closers: (() => Promise<unknown>)[] = [];

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  dir = tempDir('fag-kit-adapters-');
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'EdDSA', use: 'sig' };
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  const url = await listen(server);
  keys = { server, url: `${url}/.well-known/jwks.json`, issuer: url, kid: 'test-key', privateKey: pair.privateKey };
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function tokenKit(name: string, overrides: { gatewayJwksUrl?: string; requestBinding?: boolean } = {}): Promise<SubgraphKit> {
  const kit = await createSubgraphKit(
    defineConfig({ name, mode: 'token', gatewayJwksUrl: overrides.gatewayJwksUrl ?? keys.url, gatewayIssuer: keys.issuer, requestBinding: overrides.requestBinding }),
  );
  closers.push(() => kit.close());
  return kit;
}

const token = async (audience: string, identity: { id: string; scopes: string[] } | null) =>
  (await mintIdentityToken({ kid: keys.kid, privateKey: keys.privateKey }, { issuer: keys.issuer, audience, identity: identity && { kind: 'user', ...identity }, ttlSeconds: 60 })).token;

async function startApollo(kit: SubgraphKit): Promise<string> {
  const apollo = new ApolloServer<IdentityContext>({ schema: schema() });
  const { url } = await startStandaloneServer(apollo, { listen: { port: 0, host: '127.0.0.1' }, context: kitContext(kit) });
  closers.push(() => apollo.stop());
  return new URL('/graphql', url).href;
}

async function startYoga(kit: SubgraphKit): Promise<string> {
  const yoga = createYoga({ schema: schema(), plugins: [useSubgraphKit(kit)], graphiql: false, logging: false });
  return `${await listen(http.createServer(yoga))}/graphql`;
}

/** Plain Node: the body read first (request binding covers it), the middleware, then graphql-js by hand. */
async function startNode(kit: SubgraphKit): Promise<string> {
  const built = schema();
  const middleware = identityMiddleware(kit);
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    Object.assign(req, { rawBody: body });
    middleware(req, res, async (error) => {
      if (error) return void res.writeHead(500).end();
      const { query } = JSON.parse(body.toString('utf8')) as { query: string };
      const result = await execute({ schema: built, document: parse(query), contextValue: { identity: (req as typeof req & IdentityContext).identity } });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
    });
  });
  return `${await listen(server)}/graphql`;
}

const ask = (url: string, query: string, headers: Record<string, string> = {}) => postJson(url, { query }, headers);

/** Each adapter on a server of its own. */
const ADAPTERS = [
  ['Apollo Server (kitContext)', startApollo],
  ['graphql-yoga (useSubgraphKit)', startYoga],
  ['plain Node (identityMiddleware)', startNode],
] as const;

describe.each(ADAPTERS)('%s, token mode', (_name, start) => {
  let url: string;
  beforeAll(async () => {
    url = await start(await tokenKit('widgets'));
  });

  it('puts the caller on the context, and reports what it cost', async () => {
    const bearer = { authorization: `Bearer ${await token('widgets', { id: 'u1', scopes: ['admin'] })}` };
    const first = await ask(url, '{ whoami admin staff secret }', bearer);
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual({ whoami: 'user:u1', admin: 'admin', staff: 'staff', secret: 'secret' });
    expect(first.headers.get('x-auth-cost')).toMatch(/^verified=1;verify-cache-hits=0;store-reads=0$/);
    const again = await ask(url, '{ whoami }', bearer);
    expect(again.headers.get('x-auth-cost')).toMatch(/^verified=0;verify-cache-hits=1;store-reads=0$/);
  });

  it('an anonymous gateway token is an anonymous caller, who gets null and the code for what needs more', async () => {
    const result = await ask(url, '{ whoami secret }', { authorization: `Bearer ${await token('widgets', null)}` });
    expect(result.status).toBe(200);
    expect(result.body.data).toEqual({ whoami: 'anonymous', secret: null });
    expect(result.body.errors.map((error: { extensions: { code: string } }) => error.extensions.code)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
  });

  it('enforces scopes and the policies the subgraph passed in', async () => {
    const bob = { authorization: `Bearer ${await token('widgets', { id: 'u2', scopes: [] })}` };
    const result = await ask(url, '{ whoami admin staff }', bob);
    expect(result.body.data).toEqual({ whoami: 'user:u2', admin: null, staff: null });
    expect(result.body.errors).toHaveLength(2);
  });

  it.each([
    ['no token', async () => ({}), 401, 'TOKEN_MISSING'],
    ['a malformed token', async () => ({ authorization: 'Bearer not-a-jwt' }), 401, 'TOKEN_INVALID'],
    ['another subgraph\'s token', async () => ({ authorization: `Bearer ${await token('gadgets', null)}` }), 401, 'TOKEN_INVALID'],
    ['not a bearer credential', async () => ({ authorization: 'Basic dTE6cGFzcw==' }), 401, 'TOKEN_INVALID'],
  ])('refuses %s with its status and code', async (_case, headers, status, code) => {
    const result = await ask(url, '{ whoami }', await headers());
    expect(result.status).toBe(status);
    expect(result.code).toBe(code);
  });
});

describe.each(ADAPTERS)('%s, keys that cannot be fetched', (_name, start) => {
  it('is a 503 KEYS_UNAVAILABLE', async () => {
    const url = await start(await tokenKit('widgets', { gatewayJwksUrl: `http://127.0.0.1:${await freePort()}/.well-known/jwks.json` }));
    const result = await ask(url, '{ whoami }', { authorization: `Bearer ${await token('widgets', null)}` });
    expect(result.status).toBe(503);
    expect(result.code).toBe('KEYS_UNAVAILABLE');
  });
});

// The proof covers the body: Apollo's is checked as parsed, yoga's from a copy of the request, plain Node's from req.rawBody.
describe.each(ADAPTERS)('%s, request binding on', (_name, start) => {
  let url: string;
  beforeAll(async () => {
    url = await start(await tokenKit('widgets', { requestBinding: true }));
  });
  /** A request as the gateway makes it: the identity token and a proof for this body. */
  const bound = async (body: string) => {
    const credential = await token('widgets', { id: 'u1', scopes: [] });
    const proof = mintRequestProof({ kid: keys.kid, privateKey: keys.privateKey }, { issuer: keys.issuer, audience: 'widgets', method: 'POST', path: '/graphql', body, credential });
    return { authorization: `Bearer ${credential}`, ...proof };
  };

  it('takes a request with its proof, once; refuses it again, with another body, or without a proof', async () => {
    const body = JSON.stringify({ query: '{ whoami }' });
    const headers = await bound(body);
    const first = await postJson(url, body, headers);
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual({ whoami: 'user:u1' });
    expect((await postJson(url, body, headers)).code).toBe('REQUEST_PROOF_REPLAYED');
    const other = await postJson(url, JSON.stringify({ query: '{ whoami secret }' }), await bound(body));
    expect([other.status, other.code]).toEqual([401, 'REQUEST_PROOF_INVALID']);
    const withoutProof: Record<string, string> = await bound(body);
    delete withoutProof[REQUEST_PROOF_HEADER];
    const missing = await postJson(url, body, withoutProof);
    expect([missing.status, missing.code]).toEqual([401, 'REQUEST_PROOF_MISSING']);
  });
});

describe('session mode on SQLite', () => {
  let url: string;
  const sid = 'kit-adapter-session-0001';
  beforeAll(async () => {
    const file = path.join(dir, 'sessions.db');
    const db = new Database(file);
    db.exec(SESSIONS_TABLE_SCHEMA);
    const auth = { identity: { kind: 'user', id: 'u1', scopes: ['admin'] }, username: 'alice', name: 'Alice', createdAt: Date.now(), absoluteExpiresAt: Date.now() + 60_000 };
    db.prepare('INSERT INTO sessions (sid, sess, expires_at) VALUES (?, ?, ?)').run(sid, JSON.stringify({ cookie: {}, auth }), Date.now() + 60_000);
    db.close();
    const kit = await createSubgraphKit({ name: 'widgets', mode: 'session', store: `sqlite:${file}` });
    closers.push(() => kit.close());
    expect(await kit.readiness()).toEqual({ ok: true });
    url = await startYoga(kit);
  });

  it('the session named by X-Session-Id is the caller; one read, reported', async () => {
    const result = await ask(url, '{ whoami admin }', { 'x-session-id': sid });
    expect(result.body.data).toEqual({ whoami: 'user:u1', admin: 'admin' });
    expect(result.headers.get('x-auth-cost')).toMatch(/^verified=0;verify-cache-hits=0;store-reads=1$/);
  });

  it('no session, an unknown one or a malformed one is anonymous, not an error', async () => {
    for (const headers of [{}, { 'x-session-id': 'unknown-session-000000' }, { 'x-session-id': '../../etc/passwd' }] as Record<string, string>[]) {
      const result = await ask(url, '{ whoami }', headers);
      expect(result.status).toBe(200);
      expect(result.body.data).toEqual({ whoami: 'anonymous' });
    }
  });
});
