/**
 * The kit's TokenExchanger (packages/subgraph-kit/src/modes/token/token-exchange.ts),
 * the subgraph's side of token exchange, against a real token endpoint on a
 * local port (a small HTTP server that answers as the gateway's would and
 * counts what it is asked): one exchange per (subject token, audience) until
 * shortly before the exchanged token expires, one exchange shared by callers
 * that ask at once, a refusal never cached.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, exportJWK, generateKeyPair, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptySubgraphCost } from '@fedgw/subgraph-kit';
import { CLIENT_ASSERTION_TYPE, JWT_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT, TokenExchanger, verifyClientAssertion, type SigningKey } from '@fedgw/subgraph-kit/token';

const ISSUER = 'https://gateway.example.com';

/** What the endpoint was asked, and what it answers next. */
interface Endpoint {
  url: string;
  requests: URLSearchParams[];
  /** Answer `status` with `body(n)` for the n-th request (from 1). */
  answer: { status: number; body: (n: number) => Record<string, unknown> };
  /** Hold every answer until this resolves (to let concurrent asks pile up). */
  hold: Promise<void>;
  close(): Promise<void>;
}

async function tokenEndpoint(): Promise<Endpoint> {
  const endpoint: Omit<Endpoint, 'url' | 'close'> = {
    requests: [],
    answer: { status: 200, body: (n) => ({ access_token: `exchanged-${n}`, issued_token_type: JWT_TOKEN_TYPE, token_type: 'Bearer', expires_in: 60 }) },
    hold: Promise.resolve(),
  };
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', async () => {
      endpoint.requests.push(new URLSearchParams(text));
      const n = endpoint.requests.length;
      await endpoint.hold;
      res.writeHead(endpoint.answer.status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(endpoint.answer.body(n)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(endpoint, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/token`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}

/** A subject token: only its `iat` and `exp` matter to the exchanger (the gateway checks the rest). */
const subjectToken = (iat: number, lifetime: number, sub = 'u1') => new UnsecuredJWT({ sub }).setIssuedAt(iat).setExpirationTime(iat + lifetime).encode();

let endpoint: Endpoint;
let key: SigningKey;
let publicJwk: Awaited<ReturnType<typeof exportJWK>>;

beforeAll(async () => {
  endpoint = await tokenEndpoint();
  const pair = await generateKeyPair('EdDSA', { extractable: true });
  key = { kid: 'orders-key', privateKey: pair.privateKey };
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'orders-key', alg: 'EdDSA' };
});
afterAll(async () => {
  await endpoint?.close();
});

/** A fresh exchanger (its own cache) whose clock is `clock.now`, and a fresh endpoint count. */
function exchangerAt(clock: { now: number }) {
  endpoint.requests.length = 0;
  endpoint.answer = { status: 200, body: (n) => ({ access_token: `exchanged-${n}`, issued_token_type: JWT_TOKEN_TYPE, token_type: 'Bearer', expires_in: 60 }) };
  endpoint.hold = Promise.resolve();
  return new TokenExchanger({ tokenEndpoint: endpoint.url, clientId: 'orders', gatewayIssuer: ISSUER, key, now: () => clock.now });
}

describe('TokenExchanger', () => {
  it('asks the endpoint as RFC 8693 says, authenticated with its own client assertion', async () => {
    const clock = { now: 1_000_000 };
    const exchanger = exchangerAt(clock);
    const subject = subjectToken(clock.now, 120);
    expect(await exchanger.exchange(subject, 'payments', emptySubgraphCost(), { 'x-request-id': 'r-1' })).toBe('exchanged-1');
    const [asked] = endpoint.requests;
    expect(Object.fromEntries(asked)).toMatchObject({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token: subject, subject_token_type: JWT_TOKEN_TYPE, audience: 'payments', client_assertion_type: CLIENT_ASSERTION_TYPE });
    const keys = createLocalJWKSet({ keys: [publicJwk] });
    await expect(verifyClientAssertion(asked.get('client_assertion')!, { keys, clientId: 'orders', audience: ISSUER })).resolves.toMatchObject({ jti: expect.any(String) });
  });

  it('reuses an exchanged token until shortly before it expires, then exchanges again', async () => {
    const clock = { now: 2_000_000 };
    const exchanger = exchangerAt(clock);
    // A subject that lives long enough: the exchanged token's own 60 s decide, less the 5 s margin.
    const subject = subjectToken(clock.now, 300);
    const cost = emptySubgraphCost();
    expect(await exchanger.exchange(subject, 'payments', cost)).toBe('exchanged-1');
    clock.now += 54;
    expect(await exchanger.exchange(subject, 'payments', cost)).toBe('exchanged-1');
    expect(endpoint.requests).toHaveLength(1);
    clock.now += 1; // 55 s in: 5 s before the exchanged token's end
    expect(await exchanger.exchange(subject, 'payments', cost)).toBe('exchanged-2');
    expect(endpoint.requests).toHaveLength(2);
    expect(cost).toMatchObject({ tokensExchanged: 2, exchangeCacheHits: 1 });
    // Another audience, or another subject, is another exchange.
    expect(await exchanger.exchange(subject, 'ledger', cost)).toBe('exchanged-3');
    expect(await exchanger.exchange(subjectToken(clock.now, 300, 'u2'), 'payments', cost)).toBe('exchanged-4');
  });

  it('renews a quarter of a short lifetime early, when that is less than 5 s', async () => {
    const clock = { now: 3_000_000 };
    const exchanger = exchangerAt(clock);
    const subject = subjectToken(clock.now, 12); // margin: 3 s
    endpoint.answer = { status: 200, body: (n) => ({ access_token: `short-${n}`, expires_in: 12 }) };
    expect(await exchanger.exchange(subject, 'payments', emptySubgraphCost())).toBe('short-1');
    clock.now += 8;
    expect(await exchanger.exchange(subject, 'payments', emptySubgraphCost())).toBe('short-1');
    clock.now += 1; // 9 s in: 3 s before the end
    expect(await exchanger.exchange(subject, 'payments', emptySubgraphCost())).toBe('short-2');
  });

  it('shares one exchange between callers that ask at once', async () => {
    const clock = { now: 4_000_000 };
    const exchanger = exchangerAt(clock);
    let release!: () => void;
    endpoint.hold = new Promise<void>((resolve) => (release = resolve));
    const subject = subjectToken(clock.now, 120);
    const cost = emptySubgraphCost();
    const asks = Array.from({ length: 5 }, () => exchanger.exchange(subject, 'payments', cost));
    // All five are waiting on the one request the endpoint holds.
    await expect.poll(() => endpoint.requests.length).toBe(1);
    release();
    expect(await Promise.all(asks)).toEqual(Array(5).fill('exchanged-1'));
    expect(endpoint.requests).toHaveLength(1);
    expect(cost).toMatchObject({ tokensExchanged: 1, exchangeCacheHits: 4 });
  });

  it('keeps no refusal: TOKEN_EXCHANGE_FAILED, and the next ask asks again', async () => {
    const clock = { now: 5_000_000 };
    const exchanger = exchangerAt(clock);
    const subject = subjectToken(clock.now, 120);
    endpoint.answer = { status: 400, body: () => ({ error: 'invalid_grant', error_description: 'no' }) };
    await expect(exchanger.exchange(subject, 'payments', emptySubgraphCost())).rejects.toMatchObject({ code: 'TOKEN_EXCHANGE_FAILED', status: 502 });
    endpoint.answer = { status: 200, body: (n) => ({ access_token: `exchanged-${n}`, expires_in: 60 }) };
    expect(await exchanger.exchange(subject, 'payments', emptySubgraphCost())).toBe('exchanged-2');
    expect(endpoint.requests).toHaveLength(2);
  });

  it('fails with TOKEN_EXCHANGE_FAILED when the endpoint does not answer', async () => {
    const gone = new TokenExchanger({ tokenEndpoint: 'http://127.0.0.1:9/auth/token', clientId: 'orders', gatewayIssuer: ISSUER, key, timeoutMs: 1000 });
    await expect(gone.exchange(subjectToken(Math.floor(Date.now() / 1000), 120), 'payments', emptySubgraphCost())).rejects.toMatchObject({ code: 'TOKEN_EXCHANGE_FAILED' });
  });
});
