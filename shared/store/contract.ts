/**
 * The shared store: the state gateway replicas share, named by one setting
 * (SHARED_STORE, or SESSION_STORE as before) — SQLite for one machine, Redis
 * for many. It holds:
 *
 * - sessions (session mode): express-session's Store contract (get, set,
 *   destroy, touch), in the format subgraphs read them in with the kit's
 *   read-only lookup (@fedgw/subgraph-kit/session: the sessions table, the
 *   Redis key prefix);
 * - revocations (token mode): access tokens and sign-ins ("families") that
 *   must be refused before they expire. Replicas keep the list in memory and
 *   learn of additions by push (Redis pub/sub) or a cheap periodic read
 *   (SQLite): a normal request reads nothing from the store;
 * - refresh tokens (token mode): kept by their SHA-256 hash only, each
 *   usable once;
 * - login counters: express-rate-limit's Store contract;
 * - tickets: short-lived one-time values (a sign-in in progress at an
 *   identity provider, the one-time ticket that hands tokens to a page, the
 *   ids of logout tokens already used);
 * - sign-ins: which of our sessions or sign-ins an identity provider's
 *   session led to, so its back-channel logout can end them.
 *
 * Every call is bounded by a timeout and every failure is an AuthError
 * SESSION_STORE_UNAVAILABLE (HTTP 503): an outage is a fast, clear answer,
 * never a hang, a crash or a silent anonymous caller.
 */
import type session from 'express-session';
import type { Store as CounterStore } from 'express-rate-limit';
import type { Identity, Readiness, SessionStoreObserver } from '@fedgw/subgraph-kit';
import type { SessionAuth } from '@fedgw/subgraph-kit/session';
import type { StoredProviderSignIn } from '../auth-modes/session/provider-tokens.js';

declare module 'express-session' {
  interface SessionData {
    /** The session record (@fedgw/subgraph-kit/session): what the gateway keeps once the caller has logged in. */
    auth?: SessionAuth;
    /** Signed in through an OpenID Connect provider: its session and subject, and its tokens sealed with SESSION_SECRET (the gateway's only; subgraphs read `auth`). */
    provider?: StoredProviderSignIn;
  }
}

export interface SharedStore {
  /** For express-session (the gateway in session mode). Subgraphs read sessions with the kit's read-only lookup. */
  readonly sessions: session.Store;
  readonly revocations: RevocationLog;
  readonly refreshTokens: RefreshTokenStore;
  readonly tickets: TicketStore;
  readonly signIns: SignInIndex;
  /** Hit counters for one express-rate-limit limiter, under `prefix`. */
  counters(prefix: string): CounterStore;
  /** Whether the store answers now (readiness). */
  ping(): Promise<Readiness>;
  close(): Promise<void>;
}

export interface Revocation {
  /** `token`: one access token, by its `jti`; `family`: every token of one sign-in, by its `sid`. */
  kind: 'token' | 'family';
  id: string;
  /** Whose tokens they were (the identity's id), so a replica can drop what it cached for them. */
  sub?: string;
  /** ms since the epoch: nothing it revokes can be presented after this, so it is forgotten then. */
  expiresAt: number;
}

export interface RevocationLog {
  /** Records a revocation for every replica. */
  add(revocation: Revocation): Promise<void>;
  /**
   * Calls `listener` with every revocation still in force, then with each new
   * one as any replica adds it, until the returned stop is called. Survives
   * store outages: what was added meanwhile is read again on reconnection.
   */
  follow(listener: (revocation: Revocation) => void): Promise<() => Promise<void>>;
}

/** What a refresh token stands for: one sign-in (its family) of one identity. */
export interface RefreshTokenRecord {
  /** The sign-in's id: the `sid` claim of every access token issued for it. */
  family: string;
  identity: Identity;
  username: string;
  name: string;
  /** ms since the epoch: the family's absolute end; no token of it lives longer. */
  expiresAt: number;
}

export interface RefreshTokenStore {
  /** Keeps a new refresh token, by the SHA-256 of its value, until `record.expiresAt`. */
  save(hash: string, record: RefreshTokenRecord): Promise<void>;
  /** Uses a token, atomically once across replicas: its record and whether it had been used before; null when unknown or expired. */
  consume(hash: string): Promise<{ record: RefreshTokenRecord; reused: boolean } | null>;
}

/** Short-lived values, each taken at most once, across replicas. */
export interface TicketStore {
  put(id: string, value: unknown, expiresAt: number): Promise<void>;
  /** The value, removed in the same step (a second take finds nothing); null when unknown or expired. */
  take<T = unknown>(id: string): Promise<T | null>;
  /** Records `id` if it is new: false when it was already there (a replay). */
  claim(id: string, expiresAt: number): Promise<boolean>;
}

/** Sets of ids under a key, for an identity provider's session or subject → our sessions or sign-ins. */
export interface SignInIndex {
  add(key: string, member: string, expiresAt: number): Promise<void>;
  /** Every member, and the key removed. */
  take(key: string): Promise<string[]>;
}


export interface StoreOptions {
  /** Keeps one deployment's revocations and refresh tokens apart from another's in the same store (the gateway's issuer). */
  namespace?: string;
  /** Bound on every store call. */
  timeoutMs?: number;
  observer?: SessionStoreObserver;
  /** Fallback session TTL when a session has no cookie expiry. */
  defaultSessionTtlSeconds?: number;
  /** How often a SQLite store looks for revocations other processes added. */
  pollIntervalMs?: number;
  /** Told once per outage of a Redis store, with its first error (for one log line). */
  onOutage?(error: Error): void;
}
