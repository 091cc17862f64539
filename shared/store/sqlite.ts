/**
 * The shared store on one SQLite file (better-sqlite3, WAL mode), for every
 * process on one machine: the embedded default. No maintained better-sqlite3
 * store for express-session prunes expired sessions and can be closed, so
 * this file keeps a small one to the Store contract, next to the tables for
 * revocations, refresh tokens and login counters. Other processes' new
 * revocations are read every `pollIntervalMs` (one indexed read, not one
 * per request).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import session, { type SessionData } from 'express-session';
import type { Options as CounterOptions, Store as CounterStore } from 'express-rate-limit';
import { SESSIONS_TABLE_SCHEMA } from '@fedgw/subgraph-kit/session';
import { SQLITE_BUSY_TIMEOUT_MS } from '@fedgw/subgraph-kit';
import type { RefreshTokenRecord, Revocation, RevocationLog, RefreshTokenStore, SignInIndex, TicketStore } from './contract.js';
import { sessionExpiresAt } from './sessions.js';

/** The sessions table is the session record's (the kit's: subgraphs read it); the rest is the gateway's. */
const SCHEMA = `${SESSIONS_TABLE_SCHEMA}
  CREATE TABLE IF NOT EXISTS revocations (seq INTEGER PRIMARY KEY AUTOINCREMENT, namespace TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, sub TEXT, expires_at INTEGER NOT NULL);
  CREATE INDEX IF NOT EXISTS revocations_expires_at ON revocations (expires_at);
  CREATE TABLE IF NOT EXISTS refresh_tokens (hash TEXT PRIMARY KEY, namespace TEXT NOT NULL, record TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, hits INTEGER NOT NULL, reset_at INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS tickets (id TEXT PRIMARY KEY, value TEXT, expires_at INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS sign_ins (key TEXT NOT NULL, member TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (key, member)) WITHOUT ROWID;
`;

export function openDatabase(file: string): Database.Database {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  // WAL lets the gateway write while subgraph processes read the same file;
  // busy_timeout waits out a concurrent writer instead of failing at once — briefly: the wait blocks the process.
  db.pragma('journal_mode = WAL');
  db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  return db;
}

/** Deletes what has expired, in every table. */
export function pruneExpired(db: Database.Database): void {
  const now = Date.now();
  for (const table of ['sessions', 'revocations', 'refresh_tokens', 'tickets', 'sign_ins']) db.prepare(`DELETE FROM ${table} WHERE expires_at <= ?`).run(now);
  db.prepare('DELETE FROM counters WHERE reset_at <= ?').run(now);
}

export class SqliteSessionStore extends session.Store {
  private readonly statements;

  constructor(db: Database.Database, private readonly ttlSeconds: number) {
    super();
    this.statements = {
      get: db.prepare<[string, number], { sess: string }>('SELECT sess FROM sessions WHERE sid = ? AND expires_at > ?'),
      set: db.prepare('INSERT INTO sessions (sid, sess, expires_at) VALUES (?, ?, ?) ON CONFLICT(sid) DO UPDATE SET sess = excluded.sess, expires_at = excluded.expires_at'),
      touch: db.prepare('UPDATE sessions SET expires_at = ? WHERE sid = ?'),
      destroy: db.prepare('DELETE FROM sessions WHERE sid = ?'),
      length: db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM sessions WHERE expires_at > ?'),
      clear: db.prepare('DELETE FROM sessions'),
    };
  }

  override get(sid: string, callback: (error: unknown, session?: SessionData | null) => void): void {
    const row = this.statements.get.get(sid, Date.now());
    callback(null, row ? (JSON.parse(row.sess) as SessionData) : null);
  }

  override set(sid: string, sess: SessionData, callback?: (error?: unknown) => void): void {
    this.statements.set.run(sid, JSON.stringify(sess), sessionExpiresAt(sess, this.ttlSeconds));
    callback?.();
  }

  override touch(sid: string, sess: SessionData, callback?: () => void): void {
    this.statements.touch.run(sessionExpiresAt(sess, this.ttlSeconds), sid);
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
}

interface RevocationRow {
  seq: number;
  kind: Revocation['kind'];
  id: string;
  sub: string | null;
  expires_at: number;
}

export function sqliteRevocations(db: Database.Database, namespace: string, pollIntervalMs: number): RevocationLog {
  const insert = db.prepare('INSERT INTO revocations (namespace, kind, id, sub, expires_at) VALUES (?, ?, ?, ?, ?)');
  const since = db.prepare<[string, number, number], RevocationRow>('SELECT seq, kind, id, sub, expires_at FROM revocations WHERE namespace = ? AND seq > ? AND expires_at > ? ORDER BY seq');
  const toRevocation = (row: RevocationRow): Revocation => ({ kind: row.kind, id: row.id, ...(row.sub ? { sub: row.sub } : {}), expiresAt: row.expires_at });
  return {
    async add({ kind, id, sub, expiresAt }) {
      insert.run(namespace, kind, id, sub ?? null, expiresAt);
    },
    async follow(listener) {
      let last = 0;
      const read = () => {
        for (const row of since.all(namespace, last, Date.now())) {
          last = row.seq;
          listener(toRevocation(row));
        }
      };
      read();
      const timer = setInterval(() => {
        try {
          read();
        } catch {
          // A busy database is read at the next tick.
        }
      }, pollIntervalMs);
      timer.unref();
      return async () => clearInterval(timer);
    },
  };
}

export function sqliteRefreshTokens(db: Database.Database, namespace: string): RefreshTokenStore {
  const insert = db.prepare('INSERT INTO refresh_tokens (hash, namespace, record, expires_at) VALUES (?, ?, ?, ?)');
  const markUsed = db.prepare('UPDATE refresh_tokens SET used_at = ? WHERE hash = ? AND namespace = ? AND used_at IS NULL AND expires_at > ?');
  const read = db.prepare<[string, string, number], { record: string }>('SELECT record FROM refresh_tokens WHERE hash = ? AND namespace = ? AND expires_at > ?');
  return {
    async save(hash, record) {
      insert.run(hash, namespace, JSON.stringify(record), record.expiresAt);
    },
    async consume(hash) {
      const now = Date.now();
      const first = markUsed.run(now, hash, namespace, now).changes === 1;
      const row = read.get(hash, namespace, now);
      return row ? { record: JSON.parse(row.record) as RefreshTokenRecord, reused: !first } : null;
    },
  };
}

export function sqliteTickets(db: Database.Database, namespace: string): TicketStore {
  const put = db.prepare('INSERT OR REPLACE INTO tickets (id, value, expires_at) VALUES (?, ?, ?)');
  const take = db.prepare<[string, number], { value: string }>('DELETE FROM tickets WHERE id = ? AND expires_at > ? RETURNING value');
  const claim = db.prepare('INSERT OR IGNORE INTO tickets (id, value, expires_at) VALUES (?, NULL, ?)');
  const key = (id: string) => `${namespace}:${id}`;
  return {
    async put(id, value, expiresAt) {
      put.run(key(id), JSON.stringify(value), expiresAt);
    },
    async take<T>(id: string) {
      const row = take.get(key(id), Date.now());
      return row ? (JSON.parse(row.value) as T) : null;
    },
    async claim(id, expiresAt) {
      db.prepare('DELETE FROM tickets WHERE id = ? AND expires_at <= ?').run(key(id), Date.now());
      return claim.run(key(id), expiresAt).changes === 1;
    },
  };
}

export function sqliteSignIns(db: Database.Database, namespace: string): SignInIndex {
  const add = db.prepare('INSERT OR REPLACE INTO sign_ins (key, member, expires_at) VALUES (?, ?, ?)');
  const take = db.prepare<[string, number], { member: string }>('DELETE FROM sign_ins WHERE key = ? AND expires_at > ? RETURNING member');
  return {
    async add(key, member, expiresAt) {
      add.run(`${namespace}:${key}`, member, expiresAt);
    },
    async take(key) {
      return take.all(`${namespace}:${key}`, Date.now()).map((row) => row.member);
    },
  };
}

/** express-rate-limit's Store on the counters table: fixed windows, as its own MemoryStore counts. */
export class SqliteCounterStore implements CounterStore {
  readonly localKeys = false;
  private windowMs = 60_000;
  private readonly increments;
  private readonly statements;

  constructor(db: Database.Database, readonly prefix: string) {
    this.statements = {
      get: db.prepare<[string], { hits: number; reset_at: number }>('SELECT hits, reset_at FROM counters WHERE key = ?'),
      put: db.prepare('INSERT INTO counters (key, hits, reset_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET hits = excluded.hits, reset_at = excluded.reset_at'),
      decrement: db.prepare('UPDATE counters SET hits = MAX(hits - 1, 0) WHERE key = ?'),
      reset: db.prepare('DELETE FROM counters WHERE key = ?'),
    };
    // One transaction: two replicas counting the same key never lose a hit.
    this.increments = db.transaction((key: string, now: number) => {
      const row = this.statements.get.get(key);
      const fresh = !row || row.reset_at <= now;
      const hits = fresh ? 1 : row.hits + 1;
      const resetAt = fresh ? now + this.windowMs : row.reset_at;
      this.statements.put.run(key, hits, resetAt);
      return { totalHits: hits, resetTime: new Date(resetAt) };
    });
  }

  init(options: CounterOptions): void {
    this.windowMs = options.windowMs;
  }

  async get(key: string) {
    const row = this.statements.get.get(this.prefix + key);
    return row && row.reset_at > Date.now() ? { totalHits: row.hits, resetTime: new Date(row.reset_at) } : undefined;
  }

  async increment(key: string) {
    return this.increments.immediate(this.prefix + key, Date.now());
  }

  async decrement(key: string) {
    this.statements.decrement.run(this.prefix + key);
  }

  async resetKey(key: string) {
    this.statements.reset.run(this.prefix + key);
  }
}
