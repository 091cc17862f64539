/**
 * Client authentication: turns an incoming request into the caller, once per
 * request, before anything is planned. It knows nothing of subgraphs.
 */
import type { Request } from 'express';
import type { JWTVerifyGetKey } from 'jose';
import type { Identity } from '../shared/identity.js';
import { bearerToken } from '../shared/jwt.js';
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

export function bearerAuthenticator(keys: JWTVerifyGetKey, issuer: string): ClientAuthenticator {
  return {
    async authenticate(req) {
      const token = bearerToken(req.headers.authorization);
      if (token === undefined) return ANONYMOUS;
      return { identity: await verifyAccessToken(token, keys, issuer) };
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
