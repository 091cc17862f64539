/**
 * Session mode's contract modules, for both sides: the session record the
 * gateway writes at login, its absolute-expiry rule, and the header that
 * carries the session id to a subgraph.
 */
export * from './modes/session/session-record.js';
