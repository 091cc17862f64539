/**
 * The session record: the contract between the gateway (which writes it into
 * the session at login) and every subgraph (which reads it from the shared
 * store, read only), and where the store keeps it. Format: docs/design.md in
 * the gateway's repository, "The session record".
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

/** A session as the store holds it: express-session's JSON, with the record under `auth` once the caller logged in. */
export interface StoredSession {
  auth?: SessionAuth;
  [field: string]: unknown;
}

/** Redis: the key of session `<id>` is this prefix and the id (fixed: subgraphs know no namespace). */
export const SESSION_KEY_PREFIX = 'fag:sess:';

/** SQLite: the sessions table (`expires_at` in ms since the epoch; a row past it is no session). */
export const SESSIONS_TABLE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS sessions (sid TEXT PRIMARY KEY, sess TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at);
`;

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
