/**
 * Request binding (REQUEST_BINDING=on, issue 19 item 4), on real servers in
 * every mode: each subgraph fetch carries a request proof, and what an
 * attacker on the gateway → subgraph link captures is worth nothing beyond
 * the one request it came with. A recording proxy in front of each subgraph
 * captures the gateway's requests; the test replays them straight to the
 * subgraphs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_DIGEST_HEADER, contentDigest, REQUEST_PROOF_HEADER } from '@fedgw/subgraph-kit/request-proof';
import { DEEP_QUERY } from '../subgraphs/demo.js';
import { postJson } from './helpers/http.js';
import { modeVariants } from './helpers/modes.js';
import { startStack, type SeenRequest, type Stack } from './helpers/stack.js';

/** Headers a replay sends again: everything the gateway sent but the hop's own. */
function replayHeaders(seen: SeenRequest, drop: string[] = []): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(seen.headers)) {
    if (!['host', 'connection', 'content-length', ...drop].includes(name) && typeof value === 'string') headers[name] = value;
  }
  return headers;
}

describe.each(modeVariants())('request binding, $name mode', (variant) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode: variant.mode, env: { ...variant.env, REQUEST_BINDING: 'on' }, record: true });
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** The last GraphQL request the gateway sent `subgraph` (not the JWKS fetches that pass the proxy too). */
  const lastFetch = (subgraph: string) => stack.seen[subgraph].filter((seen) => seen.headers[REQUEST_PROOF_HEADER] && seen.body.includes('"query"')).at(-1)!;
  const replay = (subgraph: string, headers: Record<string, string>, body: string) => postJson(`${stack.subgraphs[subgraph].url}/graphql`, body, headers);

  /** alice's orders, fetched through the gateway; what the gateway sent orders for it. */
  async function capturedOrdersFetch(client = stack.client(), user = ['alice', 'wonderland']) {
    if (!client.token && !client.cookie) await client.login(user[0], user[1]);
    const result = await client.query('{ me { id orders { id } } }');
    expect(result.body.errors).toBeUndefined();
    return { client, seen: lastFetch('orders') };
  }

  it('the deep query crosses every subgraph, each fetch with a proof of its own and the digest of its body', async () => {
    const alice = stack.client();
    await alice.login('alice', 'wonderland');
    const before = Object.fromEntries(Object.keys(stack.seen).map((name) => [name, stack.seen[name].length]));
    const result = await alice.query(DEEP_QUERY);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data?.me).toMatchObject({ id: 'u1', orders: [{ id: 'o1' }] });
    const fetches = Object.keys(stack.seen).flatMap((name) => stack.seen[name].slice(before[name]).filter((seen) => seen.body.includes('"query"')));
    expect(fetches.length).toBeGreaterThanOrEqual(4);
    for (const seen of fetches) expect(seen.headers[CONTENT_DIGEST_HEADER]).toBe(contentDigest(seen.body));
    expect(new Set(fetches.map((seen) => seen.headers[REQUEST_PROOF_HEADER])).size).toBe(fetches.length);
  });

  it('a captured request sent a second time: 401 REQUEST_PROOF_REPLAYED', async () => {
    const { seen } = await capturedOrdersFetch();
    const answer = await replay('orders', replayHeaders(seen), seen.body);
    expect(answer.status).toBe(401);
    expect(answer.code).toBe('REQUEST_PROOF_REPLAYED');
  });

  it('the captured credential and proof with another body (another query, a mutation): 401 REQUEST_PROOF_INVALID', async () => {
    const { seen } = await capturedOrdersFetch();
    for (const body of [seen.body.replace('"query":"', '"query":"{ __typename } '), JSON.stringify({ query: 'mutation { addReview(productId: "p1", body: "replayed") { id } }' })]) {
      const answer = await replay('orders', replayHeaders(seen), body);
      expect(answer.status).toBe(401);
      expect(answer.code).toBe('REQUEST_PROOF_INVALID');
    }
    // To the subgraph that has the mutation, with the captured reviews credential: refused just the same.
    await stack.client().query('{ products { reviews { body } } }');
    const reviews = lastFetch('reviews');
    const mutation = await replay('reviews', replayHeaders(reviews), JSON.stringify({ query: 'mutation { addReview(productId: "p1", body: "replayed") { id } }' }));
    expect(mutation.status).toBe(401);
    expect(mutation.code).toBe('REQUEST_PROOF_INVALID');
  });

  it('the captured request sent to another subgraph is refused: the token is not addressed to it, nor the proof', async () => {
    const { seen } = await capturedOrdersFetch();
    const answer = await replay('accounts', replayHeaders(seen), seen.body);
    expect(answer.status).toBe(401);
    // Token mode: the identity token's own audience refuses it first; session mode: the proof's.
    expect(answer.code).toBe(variant.mode === 'token' ? 'TOKEN_INVALID' : 'REQUEST_PROOF_INVALID');
  });

  it("alice's proof with bob's credential: 401 REQUEST_PROOF_INVALID", async () => {
    const alice = await capturedOrdersFetch();
    const bob = await capturedOrdersFetch(stack.client(), ['bob', 'builder']);
    const credential = variant.mode === 'token' ? 'authorization' : 'x-session-id';
    const headers = { ...replayHeaders(alice.seen), [credential]: String(bob.seen.headers[credential]) };
    const answer = await replay('orders', headers, alice.seen.body);
    expect(answer.status).toBe(401);
    expect(answer.code).toBe('REQUEST_PROOF_INVALID');
  });

  it('a credential without a proof: 401 REQUEST_PROOF_MISSING', async () => {
    const { seen } = await capturedOrdersFetch();
    const answer = await replay('orders', replayHeaders(seen, [REQUEST_PROOF_HEADER]), seen.body);
    expect(answer.status).toBe(401);
    expect(answer.code).toBe('REQUEST_PROOF_MISSING');
    // An anonymous request too: with binding on, only the gateway calls a subgraph, in every mode.
    const anonymous = await replay('products', {}, JSON.stringify({ query: '{ products { id } }' }));
    expect(anonymous.status).toBe(401);
    expect(anonymous.code).toBe(variant.mode === 'token' ? 'TOKEN_MISSING' : 'REQUEST_PROOF_MISSING');
  });

  it('the gateway keeps answering, and its own fetches keep passing', async () => {
    const result = await stack.client().query('{ products { name reviews { body } } }');
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data?.products).toHaveLength(3);
  });
});
