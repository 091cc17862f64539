/**
 * The request proof's pure parts (@fedgw/subgraph-kit/request-proof): the
 * body digest, the credential hash, the claims check, the seen-ids set, and
 * the verifier against a key set made here. The whole path, gateway to
 * subgraph: test/request-binding.test.ts.
 */
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTVerifyGetKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from '@fedgw/subgraph-kit';
import {
  contentDigest,
  createRequestProofVerifier,
  credentialHash,
  credentialOf,
  mintRequestProof,
  proofMismatch,
  REQUEST_PROOF_HEADER,
  REQUEST_PROOF_TTL_SECONDS,
  SeenProofIds,
} from '@fedgw/subgraph-kit/request-proof';
import { mintIdentityToken } from '@fedgw/subgraph-kit/token';

describe('contentDigest (RFC 9530)', () => {
  it("is sha-256 of the body's bytes, in the header's form", () => {
    // RFC 9530 §2's example.
    expect(contentDigest('{"hello": "world"}')).toBe('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:');
    expect(contentDigest(new TextEncoder().encode('{"hello": "world"}'))).toBe(contentDigest('{"hello": "world"}'));
  });

  it('serializes a parsed body again: the same digest for what JSON.stringify wrote', () => {
    const body = { query: 'query($representations:[_Any!]!){_entities(representations:$representations){...on User{orders{id}}}}', variables: { n: 1e21, s: 'é\u2028"' }, operationName: 'Q' };
    expect(contentDigest(JSON.parse(JSON.stringify(body)))).toBe(contentDigest(JSON.stringify(body)));
    expect(contentDigest(undefined)).toBe(contentDigest(''));
  });
});

describe('credentialOf', () => {
  it('is the bearer token when there is one, else the session id; nothing for neither', () => {
    expect(credentialOf({ authorization: 'Bearer abc.def.ghi', 'x-session-id': 'sid' })).toBe('abc.def.ghi');
    expect(credentialOf(new Headers({ 'X-Session-Id': 'sid' }))).toBe('sid');
    expect(credentialOf({})).toBeUndefined();
    expect(() => credentialOf({ 'x-session-id': ['a', 'b'] })).toThrow(AuthError);
  });
});

describe('proofMismatch', () => {
  const request = { method: 'POST', path: '/graphql', digest: contentDigest('{}'), credential: 'token' };
  const claims = { htm: 'POST', htp: '/graphql', cdg: request.digest, ath: credentialHash('token'), jti: 'id-1', iat: 1000, exp: 1000 + REQUEST_PROOF_TTL_SECONDS };

  it('accepts the request it was made for', () => {
    expect(proofMismatch(claims, request)).toBeUndefined();
  });

  it.each<[string, Record<string, unknown>, Partial<typeof request>]>([
    ['method', {}, { method: 'GET' }],
    ['path', {}, { path: '/other' }],
    ['body digest', {}, { digest: contentDigest('{"query":"mutation"}') }],
    ['credential', {}, { credential: 'another token' }],
    ['credential', {}, { credential: undefined }],
    ['credential', { ath: undefined }, {}],
    ['jti', { jti: '' }, {}],
    ['lifetime', { exp: 1000 + 3600 }, {}],
  ])('refuses another %s', (reason, claimChanges, requestChanges) => {
    expect(proofMismatch({ ...claims, ...claimChanges }, { ...request, ...requestChanges })).toBe(reason);
  });
});

describe('SeenProofIds', () => {
  it('takes an id once, until its proof (and the clock skew) has expired', () => {
    let now = 1_000_000;
    const seen = new SeenProofIds({ now: () => now });
    expect(seen.take('a', 1010)).toBe(true);
    expect(seen.take('a', 1010)).toBe(false);
    now = (1010 + 5) * 1000 + 1;
    expect(seen.take('b', 1030)).toBe(true);
    expect(seen.size).toBe(1);
    expect(seen.take('a', 1030)).toBe(true);
  });

  it('keeps at most maxEntries, dropping the oldest', () => {
    const seen = new SeenProofIds({ maxEntries: 3, now: () => 0 });
    for (const id of ['a', 'b', 'c', 'd']) expect(seen.take(id, 10)).toBe(true);
    expect(seen.size).toBe(3);
    expect(seen.take('d', 10)).toBe(false);
  });
});

describe('createRequestProofVerifier', () => {
  const issuer = 'http://gateway.test';
  let key: { kid: string; privateKey: CryptoKey };
  let keys: JWTVerifyGetKey;
  beforeAll(async () => {
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    key = { kid: 'k1', privateKey: pair.privateKey };
    keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'EdDSA' }] });
  });
  const body = JSON.stringify({ query: '{ me { id } }' });
  const request = async (headers: Record<string, string> = {}) => {
    const proof = mintRequestProof(key, { issuer, audience: 'orders', method: 'POST', path: '/graphql', body, credential: 'token' });
    return { method: 'POST', path: '/graphql', body, headers: { authorization: 'Bearer token', ...proof, ...headers } };
  };
  const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (error: AuthError) => error.code);

  it('accepts a proof once; the second time it is REQUEST_PROOF_REPLAYED', async () => {
    const verify = createRequestProofVerifier({ keys, issuer, audience: 'orders' });
    const proven = await request();
    await expect(verify(proven)).resolves.toBeUndefined();
    expect(await refusal(verify(proven))).toBe('REQUEST_PROOF_REPLAYED');
  });

  it('REQUEST_PROOF_MISSING without one; REQUEST_PROOF_INVALID for another audience, an expired one, or an identity token in its place', async () => {
    expect(await refusal(createRequestProofVerifier({ keys, issuer, audience: 'orders' })({ ...(await request()), headers: { authorization: 'Bearer token' } }))).toBe('REQUEST_PROOF_MISSING');
    expect(await refusal(createRequestProofVerifier({ keys, issuer, audience: 'accounts' })(await request()))).toBe('REQUEST_PROOF_INVALID');
    const past = Math.floor(Date.now() / 1000) - 60;
    const expired = await new SignJWT({ htm: 'POST', htp: '/graphql', cdg: contentDigest(body), ath: credentialHash('token') })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ: 'request-proof+jwt' })
      .setIssuer(issuer)
      .setAudience('orders')
      .setIssuedAt(past)
      .setExpirationTime(past + REQUEST_PROOF_TTL_SECONDS)
      .setJti('old')
      .sign(key.privateKey);
    expect(await refusal(createRequestProofVerifier({ keys, issuer, audience: 'orders' })(await request({ [REQUEST_PROOF_HEADER]: expired })))).toBe('REQUEST_PROOF_INVALID');
    const { token } = await mintIdentityToken(key, { issuer, audience: 'orders', identity: null, ttlSeconds: 60 });
    expect(await refusal(createRequestProofVerifier({ keys, issuer, audience: 'orders' })(await request({ [REQUEST_PROOF_HEADER]: token })))).toBe('REQUEST_PROOF_INVALID');
  });
});
