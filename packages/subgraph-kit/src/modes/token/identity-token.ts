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

/** A minted identity token, with what it says for the gateway's auth trace: never the token itself or its signature. */
export interface MintedIdentityToken extends MintedToken {
  claims: MintedClaims;
}

/** An identity token's claims (`sid` aside) and the id of the key that signed it. */
export interface MintedClaims {
  iss: string;
  aud: string;
  /** Absent: an anonymous caller. */
  sub?: string;
  scope: string;
  iat: number;
  exp: number;
  jti: string;
  kid: string;
}

export async function mintIdentityToken(key: SigningKey, options: MintOptions): Promise<MintedIdentityToken> {
  const iat = Math.floor(Date.now() / 1000);
  const claims: MintedClaims = {
    iss: options.issuer,
    aud: options.audience,
    ...(options.identity ? { sub: options.identity.id } : {}),
    scope: options.identity?.scopes.join(' ') ?? '',
    iat,
    exp: iat + options.ttlSeconds,
    jti: randomUUID(),
    kid: key.kid,
  };
  const jwt = new SignJWT({ scope: claims.scope, ...(options.sid !== undefined ? { sid: options.sid } : {}) })
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: IDENTITY_TOKEN_TYP })
    .setIssuer(claims.iss)
    .setAudience(claims.aud)
    .setIssuedAt(iat)
    .setExpirationTime(claims.exp)
    .setJti(claims.jti);
  if (claims.sub !== undefined) jwt.setSubject(claims.sub);
  return { token: await jwt.sign(key.privateKey), expiresAt: claims.exp, claims };
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
