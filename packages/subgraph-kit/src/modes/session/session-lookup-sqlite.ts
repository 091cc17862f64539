/** The session lookup on one SQLite file (better-sqlite3, WAL mode), loaded only for a `sqlite:` store. */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SQLITE_BUSY_TIMEOUT_MS } from '../../timeout.js';
import type { SessionBackend } from './session-lookup.js';
import { SESSIONS_TABLE_SCHEMA, type StoredSession } from './session-record.js';

export function sqliteSessions(file: string): SessionBackend {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  // WAL lets the gateway write while subgraph processes read the same file;
  // busy_timeout waits out a concurrent writer instead of failing at once.
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 1000');
  // A subgraph may start before the gateway ever wrote a session.
  db.exec(SESSIONS_TABLE_SCHEMA);
  const read = db.prepare<[string, number], { sess: string }>('SELECT sess FROM sessions WHERE sid = ? AND expires_at > ?');
  return {
    get(sid) {
      const row = read.get(sid, Date.now());
      return row ? (JSON.parse(row.sess) as StoredSession) : null;
    },
    async ping() {
      try {
        db.prepare('SELECT 1').get();
        return { ok: true };
      } catch (error) {
        return { ok: false, detail: (error as Error).message };
      }
    },
    async close() {
      db.close();
    },
  };
}
