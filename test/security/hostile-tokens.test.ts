/**
 * RFC 8725 in practice: every kind of hostile token, at the gateway (client
 * access tokens) and at a subgraph (identity tokens). Each is a 401 with a
 * stable code, follows no URL it names, reaches no subgraph, and leaves the
 * server answering.
 */
import { exportJWK, generateKeyPair, type CryptoKey, type JWTPayload } from 'jose';
import { loadSigningKeys } from '../../gateway/auth/signing-keys.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingServer, nowSeconds, signEd25519Raw, signWith, unsigned, type CountingServer } from '../../scripts/lib/hostile.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
let gatewayKey: CryptoKey;
let kid: string;
let publicJwk: Record<string, string>;
let attacker: { privateKey: CryptoKey; publicJwk: Record<string, unknown> };
let bait: CountingServer;

beforeAll(async () => {
  stack = await startStack({ mode: 'token', record: true });
  const dir = stack.env.GATEWAY_KEYS_DIR;
  gatewayKey = (await loadSigningKeys(dir)).current.privateKey;
  const jwks = (await (await fetch(`${stack.gatewayUrl}/.well-known/jwks.json`)).json()) as { keys: Record<string, string>[] };
  publicJwk = jwks.keys[0];
  kid = publicJwk.kid;
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  attacker = { privateKey: pair.privateKey, publicJwk: { ...(await exportJWK(pair.publicKey)), kid: 'attacker' } };
  // A JWKS server the attacker controls, serving the attacker's key under every kid it is asked for.
  bait = await countingServer({ keys: [{ ...attacker.publicJwk, kid }, attacker.publicJwk] });
});
afterAll(async () => {
  await stack?.close();
  await bait?.close();
});

type Target = 'gateway' | 'subgraph';
const typFor = { gateway: 'at+jwt', subgraph: 'identity+jwt' };

function claimsFor(target: Target, overrides: JWTPayload = {}): JWTPayload {
  const now = nowSeconds();
  const aud = target === 'gateway' ? stack.env.GATEWAY_ISSUER : 'accounts';
  return { iss: stack.env.GATEWAY_ISSUER, aud, sub: 'u1', scope: 'admin', iat: now, exp: now + 60, jti: `t-${Math.random()}`, ...overrides };
}

async function present(target: Target, token: string) {
  for (const requests of Object.values(stack.seen)) requests.length = 0;
  const url = target === 'gateway' ? `${stack.gatewayUrl}/graphql` : `${stack.subgraphs.accounts.url}/graphql`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ me { id } }' }),
  });
  const body = (await response.json()) as any;
  return { status: response.status, code: body.errors?.[0]?.extensions?.code, body };
}

type Case = [name: string, make: (target: Target) => Promise<string> | string, code: string];

const cases: Case[] = [
  ['alg "none"', (t) => unsigned({ typ: typFor[t], kid }, claimsFor(t)), 'TOKEN_INVALID'],
  [
    'HS256 keyed with the public key (algorithm confusion)',
    (t) => signWith(new TextEncoder().encode(JSON.stringify(publicJwk)), { alg: 'HS256', typ: typFor[t], kid }, claimsFor(t)),
    'TOKEN_INVALID',
  ],
  ['a jku header pointing at the attacker', (t) => signWith(attacker.privateKey, { alg: 'EdDSA', typ: typFor[t], kid, jku: `${bait.url}/jwks.json` }, claimsFor(t)), 'TOKEN_INVALID'],
  ['an x5u header pointing at the attacker', (t) => signWith(attacker.privateKey, { alg: 'EdDSA', typ: typFor[t], kid, x5u: `${bait.url}/cert.pem` }, claimsFor(t)), 'TOKEN_INVALID'],
  ['an embedded jwk header', (t) => signWith(attacker.privateKey, { alg: 'EdDSA', typ: typFor[t], jwk: attacker.publicJwk as any }, claimsFor(t)), 'TOKEN_INVALID'],
  ['a kid that is a path', (t) => signWith(attacker.privateKey, { alg: 'EdDSA', typ: typFor[t], kid: '../../../../etc/passwd' }, claimsFor(t)), 'TOKEN_INVALID'],
  ['a kid that is a URL', (t) => signWith(attacker.privateKey, { alg: 'EdDSA', typ: typFor[t], kid: `${bait.url}/key` }, claimsFor(t)), 'TOKEN_INVALID'],
  ['a crit header naming an unknown extension', (t) => signEd25519Raw(gatewayKey, { typ: typFor[t], kid, crit: ['x-policy'], 'x-policy': 'lax' }, claimsFor(t)), 'TOKEN_INVALID'],
  ['a token over 8 KB', (t) => signWith(gatewayKey, { alg: 'EdDSA', typ: typFor[t], kid }, claimsFor(t, { pad: 'x'.repeat(9000) })), 'TOKEN_INVALID'],
  ['not yet valid (nbf in the future)', (t) => signWith(gatewayKey, { alg: 'EdDSA', typ: typFor[t], kid }, claimsFor(t, { nbf: nowSeconds() + 600 })), 'TOKEN_INVALID'],
  [
    'no exp',
    (t) => {
      const claims = claimsFor(t);
      delete claims.exp;
      return signWith(gatewayKey, { alg: 'EdDSA', typ: typFor[t], kid }, claims);
    },
    'TOKEN_INVALID',
  ],
  ['expired beyond the clock skew', (t) => signWith(gatewayKey, { alg: 'EdDSA', typ: typFor[t], kid }, claimsFor(t, { iat: nowSeconds() - 120, exp: nowSeconds() - 30 })), 'TOKEN_EXPIRED'],
  ['typ JWT instead of the expected one', (t) => signWith(gatewayKey, { alg: 'EdDSA', typ: 'JWT', kid }, claimsFor(t)), 'TOKEN_INVALID'],
  ['no typ', (t) => signWith(gatewayKey, { alg: 'EdDSA', kid }, claimsFor(t)), 'TOKEN_INVALID'],
  ['another issuer', (t) => signWith(gatewayKey, { alg: 'EdDSA', typ: typFor[t], kid }, claimsFor(t, { iss: 'https://evil.example' })), 'TOKEN_INVALID'],
  ['an audience list smuggling the right audience', (t) => signWith(gatewayKey, { alg: 'EdDSA', typ: typFor[t], kid }, claimsFor(t, { aud: [String(claimsFor(t).aud), 'other'] })), 'TOKEN_INVALID'],
  ['a signature from an unknown key under a known kid', (t) => signWith(attacker.privateKey, { alg: 'EdDSA', typ: typFor[t], kid }, claimsFor(t)), 'TOKEN_INVALID'],
  ['garbage', () => 'eyJhbGciOi.garbage.garbage', 'TOKEN_INVALID'],
];

describe.each(['gateway', 'subgraph'] as const)('hostile tokens at the %s', (target) => {
  it.each(cases)('refuses %s', async (_name, make, code) => {
    const hitsBefore = bait.hits();
    const answer = await present(target, await make(target));
    expect(answer.status).toBe(401);
    expect(answer.code).toBe(code);
    // nothing it named was fetched
    expect(bait.hits()).toBe(hitsBefore);
    // a refused client request reaches no subgraph
    if (target === 'gateway') expect(Object.values(stack.seen).flat()).toEqual([]);
    // and the server still answers a good request
    const good = await signWith(gatewayKey, { alg: 'EdDSA', typ: typFor[target], kid }, claimsFor(target));
    const ok = await present(target, good);
    expect(ok.status).toBe(200);
    expect(ok.body.data.me).toEqual({ id: 'u1' });
  });
});
