/**
 * Client authentication: turns an incoming request into the caller, once per
 * request, before anything is planned. It knows nothing of subgraphs.
 */
import type { Request } from 'express';
import { decodeJwt, type JWTVerifyGetKey } from 'jose';
import { AuthError } from '../shared/errors.js';
import type { Identity } from '../shared/identity.js';
import { bearerToken, MAX_TOKEN_BYTES } from '../shared/jwt.js';
import { verifiedIdentities } from '../shared/verified-token-cache.js';
import '../shared/session-store.js'; // the SessionData.auth type
import { verifyAccessToken } from './access-token.js';

export interface Caller {
  /** null: anonymous. */
  identity: Identity | null;
  /** Session mode only: the id of the caller's authenticated session. */
  sessionId?: string;
}

export const ANONYMOUS: Caller = Object.freeze({ identity: null });

export interface ClientAuthenticator {
  /** Throws AuthError for a credential that is present but not good. */
  authenticate(req: Request): Promise<Caller>;
}

/** Verifies the access tokens of one issuer. */
export interface AccessTokenVerifier {
  issuer: string;
  verify(token: string): Promise<Identity>;
}

/**
 * The gateway's own access tokens. Its keys are fixed for the life of the
 * process and nothing about a verified token changes before its `exp`, so a
 * client's repeated token is checked once and then answered from memory
 * (bounded; shared/verified-token-cache.ts): one signature check per token,
 * not one per request.
 */
export function gatewayAccessTokens(keys: JWTVerifyGetKey, issuer: string): AccessTokenVerifier {
  const verified = verifiedIdentities((token) => verifyAccessToken(token, keys, issuer));
  return { issuer, verify: (token) => verified.get(token) ?? verified.verify(token) };
}

/**
 * Bearer tokens from any of the trusted issuers. The unverified `iss` only
 * picks which verifier runs; that verifier then checks everything, its own
 * issuer included. A token from any other issuer is refused.
 */
export function bearerAuthenticator(verifiers: AccessTokenVerifier[]): ClientAuthenticator {
  const byIssuer = new Map(verifiers.map((verifier) => [verifier.issuer, verifier]));
  return {
    async authenticate(req) {
      const token = bearerToken(req.headers.authorization);
      if (token === undefined) return ANONYMOUS;
      if (token.length > MAX_TOKEN_BYTES) throw new AuthError('TOKEN_INVALID', `token is larger than ${MAX_TOKEN_BYTES} bytes`);
      let issuer: unknown;
      try {
        issuer = decodeJwt(token).iss;
      } catch (error) {
        throw new AuthError('TOKEN_INVALID', 'token is invalid: not a JWT', { cause: error });
      }
      const verifier = typeof issuer === 'string' ? byIssuer.get(issuer) : undefined;
      if (!verifier) throw new AuthError('TOKEN_INVALID', 'token is invalid: issuer is not trusted');
      return { identity: await verifier.verify(token) };
    },
  };
}

/**
 * Session mode: the caller is whoever the session (already loaded by
 * express-session) says. A session past its absolute lifetime is destroyed
 * here: express-session itself only knows the idle timeout.
 */
export function sessionAuthenticator(): ClientAuthenticator {
  return {
    async authenticate(req) {
      const auth = req.session?.auth;
      if (!auth) return ANONYMOUS;
      if (auth.absoluteExpiresAt <= Date.now()) {
        await new Promise<void>((resolve, reject) => req.session.destroy((error) => (error ? reject(error) : resolve())));
        return ANONYMOUS;
      }
      return { identity: auth.identity, sessionId: req.sessionID };
    },
  };
}
