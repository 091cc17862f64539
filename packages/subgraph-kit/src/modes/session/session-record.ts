/**
 * The session record: the contract between the gateway (which writes it into
 * the session at login) and every subgraph (which reads it from the shared
 * store, read only). Format: docs/design.md, "Session record".
 */
import type { Identity, SignedInUser } from '../../identity.js';

/** What the gateway keeps in a session once the caller has logged in. */
export interface SessionAuth {
  identity: Identity;
  username: string;
  name: string;
  /** ms since the epoch */
  createdAt: number;
  /** ms since the epoch: the absolute lifetime ends here, however active the session. */
  absoluteExpiresAt: number;
}

/** The header that carries the session id from the gateway to a subgraph. */
export const SESSION_ID_HEADER = 'x-session-id';

/** express-session ids are base64url-ish; anything else is not worth a store read. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

export function newSessionAuth(user: SignedInUser, maxAgeSeconds: number, now = Date.now()): SessionAuth {
  return {
    identity: user.identity,
    username: user.username,
    name: user.name,
    createdAt: now,
    absoluteExpiresAt: now + maxAgeSeconds * 1000,
  };
}

/**
 * The absolute-expiry rule, the same at the gateway and in every subgraph:
 * express-session itself only knows the idle timeout.
 */
export function isLive(auth: SessionAuth | undefined, now = Date.now()): auth is SessionAuth {
  return auth !== undefined && auth.absoluteExpiresAt > now;
}
