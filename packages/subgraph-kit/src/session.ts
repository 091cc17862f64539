/**
 * Session mode's contract modules, for both sides: the session record the
 * gateway writes at login, its absolute-expiry rule, the header that carries
 * the session id to a subgraph, where the store keeps sessions, and the
 * read-only lookup a subgraph reads them with (SQLite or Redis, each loaded
 * only when used).
 */
export * from './modes/session/session-record.js';
export { openSessionLookup, storeUnavailable, type SessionLookup, type SessionLookupOptions } from './modes/session/session-lookup.js';
