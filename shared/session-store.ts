/**
 * The one session store factory, used by the gateway (as express-session's
 * store) and by every subgraph (read-only lookups), from SESSION_STORE:
 *
 * - `sqlite:<path>`: the embedded default, on better-sqlite3 in WAL mode so
 *   the gateway and subgraph processes share one file safely. No maintained
 *   better-sqlite3 store for express-session prunes expired sessions and can
 *   be closed, so this file keeps a small one to the Store contract.
 * - `redis://…`: connect-redis 9 on node-redis 5, for many replicas.
 *
 * Every operation is bounded by a timeout and any store failure becomes
 * AuthError SESSION_STORE_UNAVAILABLE (HTTP 503), so an outage is a fast,
 * clear answer — never a hang, a crash or a silent anonymous caller.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { RedisStore } from 'connect-redis';
import session, { type SessionData } from 'express-session';
import { createClient } from 'redis';
import type { SessionStoreConfig } from './config.js';
import { AuthError } from './errors.js';
import type { Identity } from './identity.js';

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

declare module 'express-session' {
  interface SessionData {
    auth?: SessionAuth;
  }
}

export interface SessionStoreHandle {
  /** For express-session (the gateway). */
  store: session.Store;
  /** A read-only lookup (subgraphs): never writes, never touches. */
  get(sid: string): Promise<SessionData | null>;
  /** Whether the store answers now (readiness). */
  ping(): Promise<{ ok: boolean; detail?: string }>;
  close(): Promise<void>;
}

/** Told about every store call, after it ends (metrics: reads, errors, latency). */
export interface SessionStoreObserver {
  observe(operation: 'get' | 'set' | 'destroy' | 'touch', seconds: number, failed: boolean): void;
}

export interface SessionStoreOptions {
  /** Bound on every store operation. */
  timeoutMs?: number;
  observer?: SessionStoreObserver;
  /** Fallback store TTL when a session has no cookie expiry. */
  defaultTtlSeconds?: number;
}

const DEFAULT_TIMEOUT_MS = 1500;

export async function createSessionStore(config: SessionStoreConfig, options: SessionStoreOptions = {}): Promise<SessionStoreHandle> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const ttlSeconds = options.defaultTtlSeconds ?? 86400;
  const base = config.kind === 'sqlite' ? sqliteStore(config.path, ttlSeconds) : await redisStore(config.url, ttlSeconds);
  const store = guard(base.store, timeoutMs, options.observer);
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

function unavailable(cause: unknown): AuthError {
  return cause instanceof AuthError ? cause : new AuthError('SESSION_STORE_UNAVAILABLE', 'session store unavailable', { cause });
}

/**
 * Bounds every callback-style store method by a timeout and turns every
 * failure into SESSION_STORE_UNAVAILABLE, whatever the backend does.
 */
function guard(store: session.Store, timeoutMs: number, observer?: SessionStoreObserver): session.Store {
  for (const method of ['get', 'set', 'destroy', 'touch'] as const) {
    const original = (store[method] as ((...args: any[]) => unknown) | undefined)?.bind(store);
    if (!original) continue;
    (store as any)[method] = (...args: any[]) => {
      const callback = typeof args[args.length - 1] === 'function' ? (args.pop() as (...a: any[]) => void) : () => {};
      let done = false;
      const started = observer ? process.hrtime.bigint() : 0n;
      const finish = (error: unknown, value?: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        observer?.observe(method, Number(process.hrtime.bigint() - started) / 1e9, Boolean(error));
        if (error) callback(unavailable(error));
        else callback(null, value);
      };
      const timer = setTimeout(() => finish(new Error(`session store did not answer ${method} within ${timeoutMs} ms`)), timeoutMs);
      try {
        const result = original(...args, finish);
        // connect-redis also returns a promise; its rejection is reported through the callback.
        if (result instanceof Promise) result.catch(finish);
      } catch (error) {
        finish(error);
      }
    };
  }
  return store;
}

interface BaseStore {
  store: session.Store;
  ping(): Promise<{ ok: boolean; detail?: string }>;
  close(): Promise<void>;
}

/** Session expiry as express-session sets it: the cookie's expiry, else the default TTL. */
function expiresAt(sess: SessionData, ttlSeconds: number): number {
  const expires = sess.cookie?.expires;
  return expires ? new Date(expires).getTime() : Date.now() + ttlSeconds * 1000;
}

class SqliteSessionStore extends session.Store {
  private readonly statements;

  constructor(private readonly db: Database.Database, private readonly ttlSeconds: number) {
    super();
    db.exec(`CREATE TABLE IF NOT EXISTS sessions (
      sid TEXT PRIMARY KEY,
      sess TEXT NOT NULL,
      expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at);`);
    this.statements = {
      get: db.prepare<[string, number], { sess: string }>('SELECT sess FROM sessions WHERE sid = ? AND expires_at > ?'),
      set: db.prepare('INSERT INTO sessions (sid, sess, expires_at) VALUES (?, ?, ?) ON CONFLICT(sid) DO UPDATE SET sess = excluded.sess, expires_at = excluded.expires_at'),
      touch: db.prepare('UPDATE sessions SET expires_at = ? WHERE sid = ?'),
      destroy: db.prepare('DELETE FROM sessions WHERE sid = ?'),
      prune: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
      length: db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM sessions WHERE expires_at > ?'),
      clear: db.prepare('DELETE FROM sessions'),
    };
  }

  override get(sid: string, callback: (error: unknown, session?: SessionData | null) => void): void {
    const row = this.statements.get.get(sid, Date.now());
    callback(null, row ? (JSON.parse(row.sess) as SessionData) : null);
  }

  override set(sid: string, sess: SessionData, callback?: (error?: unknown) => void): void {
    this.statements.set.run(sid, JSON.stringify(sess), expiresAt(sess, this.ttlSeconds));
    callback?.();
  }

  override touch(sid: string, sess: SessionData, callback?: () => void): void {
    this.statements.touch.run(expiresAt(sess, this.ttlSeconds), sid);
    callback?.();
  }

  override destroy(sid: string, callback?: (error?: unknown) => void): void {
    this.statements.destroy.run(sid);
    callback?.();
  }

  override length(callback: (error: unknown, length?: number) => void): void {
    callback(null, this.statements.length.get(Date.now())?.n ?? 0);
  }

  override clear(callback?: (error?: unknown) => void): void {
    this.statements.clear.run();
    callback?.();
  }

  prune(): void {
    this.statements.prune.run(Date.now());
  }
}

const PRUNE_INTERVAL_MS = 5 * 60 * 1000;

function sqliteStore(file: string, ttlSeconds: number): BaseStore {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  // WAL lets the gateway write while subgraph processes read the same file;
  // busy_timeout waits out a concurrent writer instead of failing at once.
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 1000');
  db.pragma('synchronous = NORMAL');
  const store = new SqliteSessionStore(db, ttlSeconds);
  store.prune();
  const timer = setInterval(() => {
    try {
      store.prune();
    } catch {
      // A busy database prunes next time; lookups already skip expired rows.
    }
  }, PRUNE_INTERVAL_MS);
  timer.unref();
  return {
    store,
    async ping() {
      try {
        db.prepare('SELECT 1').get();
        return { ok: true };
      } catch (error) {
        return { ok: false, detail: (error as Error).message };
      }
    },
    async close() {
      clearInterval(timer);
      db.close();
    },
  };
}

async function redisStore(url: string, ttlSeconds: number): Promise<BaseStore> {
  const client = createClient({
    url,
    // Fail commands at once while disconnected instead of queueing them
    // forever: that queue is how a Redis outage turns into hung requests.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 1000,
      // Keep trying to come back, forever, at most a second apart.
      reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1000),
    },
  });
  let lastError: string | undefined;
  // node-redis emits 'error' on every failed reconnect; without a listener it would crash the process.
  client.on('error', (error: Error) => {
    lastError = error.message || String(error);
  });
  client.on('ready', () => {
    lastError = undefined;
  });
  // Do not wait: a process must start (and report not ready) while Redis is down.
  client.connect().catch((error: Error) => {
    lastError = error.message;
  });
  const store = new RedisStore({ client, prefix: 'fag:sess:', ttl: (sess) => Math.max(1, Math.ceil((expiresAt(sess, ttlSeconds) - Date.now()) / 1000)) });
  return {
    store,
    async ping() {
      if (!client.isReady) return { ok: false, detail: `redis not connected${lastError ? `: ${lastError}` : ''}` };
      try {
        await Promise.race([
          client.ping(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('redis ping timed out')), DEFAULT_TIMEOUT_MS).unref()),
        ]);
        return { ok: true };
      } catch (error) {
        return { ok: false, detail: (error as Error).message };
      }
    },
    async close() {
      // A client that is down (reconnecting) has nothing to flush: drop it at once.
      if (client.isReady) await client.close().catch(() => undefined);
      else if (client.isOpen) client.destroy();
    },
  };
}
