/**
 * The gateway's client-facing access token (token mode): minted at login and
 * at each refresh, verified on every GraphQL request. Its `typ` (at+jwt) and
 * audience (the gateway itself) differ from identity tokens, so a subgraph
 * refuses it and the gateway refuses an identity token. `sid` names the
 * sign-in it belongs to, so a logout can revoke every token of that sign-in.
 * Format: docs/design.md.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, type JWTVerifyGetKey } from 'jose';
import { AuthError, type Identity, parseScopes, userIdentity } from '@fedgw/subgraph-kit';
import { SIGNING_ALGORITHM, verifyJwt, freezeIdentity, VerifiedTokenCache, type SigningKey } from '@fedgw/subgraph-kit/token';
import type { SigningKeys } from '../contract.js';

export const ACCESS_TOKEN_TYP = 'at+jwt';

export interface AccessTokenOptions {
  issuer: string;
  ttlSeconds: number;
  /** The sign-in (refresh-token family) the token belongs to. */
  sid?: string;
}

/** What a verified access token says, beyond who it is for: what a revocation is checked against. */
export interface VerifiedAccessToken {
  identity: Identity;
  jti?: string;
  sid?: string;
  /** ms since the epoch: the token's `exp`. */
  expiresAt: number;
}

/** The gateway is the audience of its own access tokens. */
const audienceOf = (issuer: string) => issuer;

export async function mintAccessToken(key: SigningKey, identity: Identity, options: AccessTokenOptions): Promise<string> {
  return new SignJWT({ scope: identity.scopes.join(' '), ...(options.sid ? { sid: options.sid } : {}) })
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: ACCESS_TOKEN_TYP })
    .setIssuer(options.issuer)
    .setAudience(audienceOf(options.issuer))
    .setSubject(identity.id)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds}s`)
    .setJti(randomUUID())
    .sign(key.privateKey);
}

export async function verifyAccessToken(token: string, keys: JWTVerifyGetKey, issuer: string): Promise<VerifiedAccessToken> {
  const payload = await verifyJwt(token, keys, {
    typ: ACCESS_TOKEN_TYP,
    issuer,
    audience: audienceOf(issuer),
    requiredClaims: ['sub', 'jti'],
    singleAudience: true,
  });
  if (typeof payload.sub !== 'string' || payload.sub === issuer) {
    throw new AuthError('TOKEN_INVALID', 'token is invalid: sub claim check failed');
  }
  return {
    identity: userIdentity(payload.sub, parseScopes(payload.scope)),
    jti: payload.jti,
    ...(typeof payload.sid === 'string' ? { sid: payload.sid } : {}),
    expiresAt: payload.exp! * 1000,
  };
}

/** Verifies the access tokens of one issuer (the gateway's own, or an external provider's). */
export interface AccessTokenVerifier {
  issuer: string;
  verify(token: string): Promise<VerifiedAccessToken>;
}

/**
 * The gateway's own access tokens. Nothing about a verified token changes
 * before its `exp` unless its key stops being published, so a client's
 * repeated token is checked once and then answered from memory (bounded;
 * the kit's VerifiedTokenCache) until then: one signature check per
 * token, not one per request. (Revocation is checked on every request, by
 * the caller, from memory too.)
 */
export function gatewayAccessTokens(keys: Pick<SigningKeys, 'verificationKeys' | 'onRemoved'>, issuer: string): AccessTokenVerifier {
  const verified = new VerifiedTokenCache(async (token: string) => {
    const facts = await verifyAccessToken(token, keys.verificationKeys, issuer);
    freezeIdentity(facts.identity);
    return { value: Object.freeze(facts), expiresAt: facts.expiresAt };
  });
  keys.onRemoved(() => verified.clear());
  return { issuer, verify: (token) => verified.get(token) ?? verified.verify(token) };
}
