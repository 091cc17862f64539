/**
 * A client assertion (RFC 7523 §2.2, the `private_key_jwt` client
 * authentication of OpenID Connect): how a subgraph proves at the gateway's
 * token endpoint that it is itself — with its own key (workload-key.ts) —
 * so that a captured identity token alone can never be exchanged. The
 * subgraph signs, the gateway verifies; both sides are here.
 *
 * Claims: `iss` = `sub` = the client (the subgraph's name), `aud` = the
 * gateway's issuer identifier (GATEWAY_ISSUER: one value however the
 * gateway is reached, as draft-ietf-oauth-rfc7523bis asks), `iat`, `exp` (a
 * minute), a fresh `jti` (the gateway takes each only once). Header `typ: client-authentication+jwt`, so no other token
 * of this system can pass as one.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, type JWTVerifyGetKey } from 'jose';
import { AuthError } from '../../errors.js';
import { SIGNING_ALGORITHM, verifyJwt } from '../../jwt.js';
import type { SigningKey } from './identity-token.js';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const CLIENT_ASSERTION_TYP = 'client-authentication+jwt';
const LIFETIME_SECONDS = 60;
/** The gateway refuses an assertion meant to live longer than this. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;

export async function signClientAssertion(key: SigningKey, options: { clientId: string; audience: string }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: CLIENT_ASSERTION_TYP })
    .setIssuer(options.clientId)
    .setSubject(options.clientId)
    .setAudience(options.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + LIFETIME_SECONDS)
    .setJti(randomUUID())
    .sign(key.privateKey);
}

export interface VerifiedAssertion {
  jti: string;
  /** seconds since the epoch */
  exp: number;
}

/** Checks that `clientId` signed `assertion` for `audience` (its key: `keys`); throws AuthError TOKEN_INVALID, TOKEN_EXPIRED or KEYS_UNAVAILABLE. */
export async function verifyClientAssertion(assertion: string, options: { keys: JWTVerifyGetKey; clientId: string; audience: string }): Promise<VerifiedAssertion> {
  const payload = await verifyJwt(assertion, options.keys, {
    typ: CLIENT_ASSERTION_TYP,
    issuer: options.clientId,
    audience: options.audience,
    requiredClaims: ['jti', 'sub'],
    singleAudience: true,
  });
  if (payload.sub !== options.clientId) throw new AuthError('TOKEN_INVALID', 'client assertion: sub must be the client');
  if (payload.exp! - payload.iat! > MAX_ASSERTION_LIFETIME_SECONDS) throw new AuthError('TOKEN_INVALID', `client assertion: lives longer than ${MAX_ASSERTION_LIFETIME_SECONDS} s`);
  return { jti: String(payload.jti), exp: payload.exp! };
}
