/**
 * The one session store factory, used by the gateway (as express-session's
 * store) and by every subgraph (read-only lookups), from SESSION_STORE:
 *
 * - `sqlite:<path>`: the embedded default (sqlite-store.ts);
 * - `redis://…`: connect-redis 9 on node-redis 5 (shared/redis.ts), for many replicas.
 *
 * Every operation is bounded by a timeout and any store failure becomes
 * AuthError SESSION_STORE_UNAVAILABLE (HTTP 503), so an outage is a fast,
 * clear answer — never a hang, a crash or a silent anonymous caller.
 */
import { RedisStore } from 'connect-redis';
import type session from 'express-session';
import type { SessionData } from 'express-session';
import type { SessionStoreConfig } from '../../config/common.js';
import { AuthError } from '../../errors.js';
import type { Readiness } from '../../readiness.js';
import { connectRedis } from '../../redis.js';
import { STORE_TIMEOUT_MS, withTimeout } from '../../timeout.js';
import { expiresAt, sqliteStore } from './sqlite-store.js';
import './session-record.js'; // the SessionData.auth type

export interface SessionStoreHandle {
  /** For express-session (the gateway). */
  store: session.Store;
  /** A read-only lookup (subgraphs): never writes, never touches. */
  get(sid: string): Promise<SessionData | null>;
  /** Whether the store answers now (readiness). */
  ping(): Promise<Readiness>;
  close(): Promise<void>;
}

/** Told about every store call, after it ends (metrics: reads, errors, latency). */
export interface SessionStoreObserver {
  observe(operation: StoreOperation, seconds: number, failed: boolean): void;
}

export interface SessionStoreOptions {
  /** Bound on every store operation. */
  timeoutMs?: number;
  observer?: SessionStoreObserver;
  /** Fallback store TTL when a session has no cookie expiry. */
  defaultTtlSeconds?: number;
}

/** A backend before it is guarded. */
export interface BaseStore {
  store: session.Store;
  ping(): Promise<Readiness>;
  close(): Promise<void>;
}

export async function createSessionStore(config: SessionStoreConfig, options: SessionStoreOptions = {}): Promise<SessionStoreHandle> {
  const ttlSeconds = options.defaultTtlSeconds ?? 86400;
  const base = config.kind === 'sqlite' ? sqliteStore(config.path, ttlSeconds) : redisStore(config.url, ttlSeconds);
  const store = guard(base.store, options.timeoutMs ?? STORE_TIMEOUT_MS, options.observer);
  return {
    store,
    get: (sid) =>
      new Promise((resolve, reject) => {
        store.get(sid, (error, data) => (error ? reject(error) : resolve(data ?? null)));
      }),
    ping: base.ping,
    close: base.close,
  };
}

function redisStore(url: string, ttlSeconds: number): BaseStore {
  const redis = connectRedis(url);
  const ttl = (sess: SessionData) => Math.max(1, Math.ceil((expiresAt(sess, ttlSeconds) - Date.now()) / 1000));
  return { store: new RedisStore({ client: redis.client, prefix: 'fag:sess:', ttl }), ping: redis.ping, close: redis.close };
}

const STORE_OPERATIONS = ['get', 'set', 'destroy', 'touch'] as const;
type StoreOperation = (typeof STORE_OPERATIONS)[number];

function unavailable(cause: unknown): AuthError {
  return cause instanceof AuthError ? cause : new AuthError('SESSION_STORE_UNAVAILABLE', 'session store unavailable', { cause });
}

/** The callback-style store method, as a promise (connect-redis also returns one; its rejection counts too). */
function call(method: (...args: any[]) => unknown, args: any[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const result = method(...args, (error: unknown, value?: unknown) => (error ? reject(error) : resolve(value)));
    if (result instanceof Promise) result.catch(reject);
  });
}

/**
 * Bounds every callback-style store method by a timeout and turns every
 * failure into SESSION_STORE_UNAVAILABLE, whatever the backend does.
 */
function guard(store: session.Store, timeoutMs: number, observer?: SessionStoreObserver): session.Store {
  for (const operation of STORE_OPERATIONS) {
    const original = (store[operation] as ((...args: any[]) => unknown) | undefined)?.bind(store);
    if (!original) continue;
    (store as any)[operation] = (...args: any[]) => {
      const callback = typeof args[args.length - 1] === 'function' ? (args.pop() as (...a: any[]) => void) : () => {};
      const started = process.hrtime.bigint();
      const settle = (error: unknown, value?: unknown) => {
        observer?.observe(operation, Number(process.hrtime.bigint() - started) / 1e9, Boolean(error));
        if (error) callback(unavailable(error));
        else callback(null, value);
      };
      withTimeout(call(original, args), timeoutMs, `the session store (${operation})`).then(
        (value) => settle(null, value),
        (error: unknown) => settle(error),
      );
    };
  }
  return store;
}
