/**
 * The embedded session store: express-session's Store contract on
 * better-sqlite3 in WAL mode, so the gateway and the subgraph processes share
 * one file safely. No maintained better-sqlite3 store for express-session
 * prunes expired sessions and can be closed, so this file keeps a small one.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import session, { type SessionData } from 'express-session';
import type { BaseStore } from './session-store.js';

/** Session expiry as express-session sets it: the cookie's expiry, else the default TTL. */
export function expiresAt(sess: SessionData, ttlSeconds: number): number {
  const expires = sess.cookie?.expires;
  return expires ? new Date(expires).getTime() : Date.now() + ttlSeconds * 1000;
}

class SqliteSessionStore extends session.Store {
  private readonly statements;

  constructor(db: Database.Database, private readonly ttlSeconds: number) {
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

export function sqliteStore(file: string, ttlSeconds: number): BaseStore {
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
