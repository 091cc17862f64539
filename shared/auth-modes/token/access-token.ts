/**
 * The gateway's client-facing access token (token mode): minted at login,
 * verified on every GraphQL request. Its `typ` (at+jwt) and audience (the
 * gateway itself) differ from identity tokens, so a subgraph refuses it and
 * the gateway refuses an identity token. Format: docs/design.md.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, type JWTVerifyGetKey } from 'jose';
import { AuthError } from '../../errors.js';
import { type Identity, parseScopes, userIdentity } from '../../identity.js';
import { SIGNING_ALGORITHM, verifyJwt } from '../../jwt.js';
import { verifiedIdentities } from '../../verified-token-cache.js';
import type { SigningKeys } from '../contract.js';
import type { SigningKey } from './identity-token.js';

export const ACCESS_TOKEN_TYP = 'at+jwt';

export interface AccessTokenOptions {
  issuer: string;
  ttlSeconds: number;
}

/** The gateway is the audience of its own access tokens. */
const audienceOf = (issuer: string) => issuer;

export async function mintAccessToken(key: SigningKey, identity: Identity, options: AccessTokenOptions): Promise<string> {
  return new SignJWT({ scope: identity.scopes.join(' ') })
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: ACCESS_TOKEN_TYP })
    .setIssuer(options.issuer)
    .setAudience(audienceOf(options.issuer))
    .setSubject(identity.id)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds}s`)
    .setJti(randomUUID())
    .sign(key.privateKey);
}

export async function verifyAccessToken(token: string, keys: JWTVerifyGetKey, issuer: string): Promise<Identity> {
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
  return userIdentity(payload.sub, parseScopes(payload.scope));
}

/** Verifies the access tokens of one issuer (the gateway's own, or an external provider's). */
export interface AccessTokenVerifier {
  issuer: string;
  verify(token: string): Promise<Identity>;
}

/**
 * The gateway's own access tokens. Nothing about a verified token changes
 * before its `exp` unless its key stops being published, so a client's
 * repeated token is checked once and then answered from memory (bounded;
 * shared/verified-token-cache.ts) until then: one signature check per
 * token, not one per request.
 */
export function gatewayAccessTokens(keys: Pick<SigningKeys, 'verificationKeys' | 'onRemoved'>, issuer: string): AccessTokenVerifier {
  const verified = verifiedIdentities((token) => verifyAccessToken(token, keys.verificationKeys, issuer));
  keys.onRemoved(() => verified.clear());
  return { issuer, verify: (token) => verified.get(token) ?? verified.verify(token) };
}
