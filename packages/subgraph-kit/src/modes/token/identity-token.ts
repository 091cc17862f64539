/**
 * The identity token: the contract between the gateway (which mints one per
 * subgraph audience) and every subgraph (which verifies it). Both sides live
 * in this file so they cannot drift apart. Format: docs/design.md,
 * "Identity token".
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, type CryptoKey, type JWTVerifyGetKey } from 'jose';
import { type Identity, parseScopes } from '../../identity.js';
import { SIGNING_ALGORITHM, verifyJwt } from '../../jwt.js';

export const IDENTITY_TOKEN_TYP = 'identity+jwt';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
}

export interface MintOptions {
  issuer: string;
  audience: string;
  /** null: an anonymous caller (the token carries no `sub`). */
  identity: Identity | null;
  ttlSeconds: number;
  /** The sign-in the caller's access token belongs to: a token exchange refuses the token once it is revoked. */
  sid?: string;
}

export interface MintedToken {
  token: string;
  /** seconds since the epoch */
  expiresAt: number;
}

export async function mintIdentityToken(key: SigningKey, options: MintOptions): Promise<MintedToken> {
  const now = Math.floor(Date.now() / 1000);
  const expiresAt = now + options.ttlSeconds;
  const jwt = new SignJWT({ scope: options.identity?.scopes.join(' ') ?? '', ...(options.sid !== undefined ? { sid: options.sid } : {}) })
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: IDENTITY_TOKEN_TYP })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt(now)
    .setExpirationTime(expiresAt)
    .setJti(randomUUID());
  if (options.identity) jwt.setSubject(options.identity.id);
  return { token: await jwt.sign(key.privateKey), expiresAt };
}

export interface VerifierOptions {
  /** The gateway's public keys, e.g. createRemoteJWKSet(GATEWAY_JWKS_URL). */
  keys: JWTVerifyGetKey;
  issuer: string;
  /** The verifying subgraph's own name. */
  audience: string;
}

/** What a verified identity token says. */
export interface IdentityTokenClaims {
  /** Absent: an anonymous caller. */
  sub?: string;
  scopes: string[];
  sid?: string;
  /** seconds since the epoch */
  exp: number;
}

/** Checks an identity token addressed to `options.audience`; throws AuthError. */
export async function verifyIdentityToken(token: string, options: VerifierOptions): Promise<IdentityTokenClaims> {
  const payload = await verifyJwt(token, options.keys, {
    typ: IDENTITY_TOKEN_TYP,
    issuer: options.issuer,
    audience: options.audience,
    requiredClaims: ['jti'],
    singleAudience: true,
  });
  return {
    ...(typeof payload.sub === 'string' ? { sub: payload.sub } : {}),
    scopes: parseScopes(payload.scope),
    ...(typeof payload.sid === 'string' ? { sid: payload.sid } : {}),
    exp: payload.exp!,
  };
}

/**
 * Returns the caller's identity, `null` for an anonymous caller, or throws an
 * AuthError. A token whose subject is the issuer itself is the gateway's own
 * call (schema loading, health checks).
 */
export function createIdentityTokenVerifier(options: VerifierOptions) {
  return async function verifyIdentity(token: string): Promise<Identity | null> {
    const { sub, scopes } = await verifyIdentityToken(token, options);
    if (sub === undefined) return null;
    if (sub === options.issuer) return { kind: 'gateway', id: sub, scopes };
    return { kind: 'user', id: sub, scopes };
  };
}
