/**
 * The read-only session lookup a subgraph reads sessions with, from the
 * shared store the gateway writes them to: one SQLite file (better-sqlite3)
 * or one Redis (redis), each loaded only when a subgraph runs in session mode
 * on it. It never writes, touches or prunes a session.
 *
 * Every read is bounded by a timeout, and every failure is an AuthError
 * SESSION_STORE_UNAVAILABLE (HTTP 503): an outage is a fast, clear answer,
 * never a hang, a crash or a silent anonymous caller.
 */
import type { StoreConfig } from '../../config.js';
import { AuthError } from '../../errors.js';
import type { Readiness } from '../../readiness.js';
import { StoreCalls } from '../../timeout.js';
import type { SessionStoreObserver } from '../contract.js';
import type { StoredSession } from './session-record.js';

export interface SessionLookup {
  /** The session stored under `sid`, or null (unknown, expired or destroyed). */
  get(sid: string): Promise<StoredSession | null>;
  /** Whether the store answers now (readiness). */
  ping(): Promise<Readiness>;
  close(): Promise<void>;
}

export interface SessionLookupOptions {
  /** Bound on every read (default STORE_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Told of every read, after it ends (metrics). */
  observer?: SessionStoreObserver;
}

/** What one store gives the lookup, unguarded. */
export interface SessionBackend {
  get(sid: string): Promise<StoredSession | null> | StoredSession | null;
  ping(): Promise<Readiness>;
  close(): Promise<void>;
}

/** Any failure of the store, as the refusal a client sees. */
export function storeUnavailable(cause: unknown): AuthError {
  return cause instanceof AuthError ? cause : new AuthError('SESSION_STORE_UNAVAILABLE', 'the shared store is unavailable', { cause });
}

export async function openSessionLookup(store: StoreConfig, options: SessionLookupOptions = {}): Promise<SessionLookup> {
  // One bound for every read: a hung store costs one timeout, not one per read.
  const calls = new StoreCalls(options.timeoutMs);
  const backend = store.kind === 'sqlite' ? await sqlite(store.path) : await redis(store.url, calls);
  return {
    async get(sid) {
      const started = process.hrtime.bigint();
      let failed = false;
      try {
        return await calls.run(() => backend.get(sid), 'the session store (get)');
      } catch (error) {
        failed = true;
        throw storeUnavailable(error);
      } finally {
        options.observer?.observe('get', Number(process.hrtime.bigint() - started) / 1e9, failed);
      }
    },
    ping: () => backend.ping(),
    close: () => backend.close(),
  };
}

async function sqlite(file: string): Promise<SessionBackend> {
  const module = await optionalPeer(() => import('./session-lookup-sqlite.js'), 'better-sqlite3', `sqlite:${file}`);
  return module.sqliteSessions(file);
}

async function redis(url: string, calls: StoreCalls): Promise<SessionBackend> {
  const module = await optionalPeer(() => import('./session-lookup-redis.js'), 'redis', url);
  return module.redisSessions(url, calls);
}

/** A backend module, or a clear error naming the package its store needs. */
async function optionalPeer<T>(load: () => Promise<T>, peer: string, store: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(`the session store ${store} needs the package "${peer}": install it next to @fedgw/subgraph-kit (npm install ${peer})`, { cause: error });
    }
    throw error;
  }
}
