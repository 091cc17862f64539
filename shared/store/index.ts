/**
 * Opens the shared store SHARED_STORE (or SESSION_STORE) names: one SQLite
 * file or one Redis. The contract is in contract.ts; this file picks the
 * backend and puts the same guard around both: every call bounded, every
 * failure SESSION_STORE_UNAVAILABLE.
 */
import { StoreCalls, type StoreConfig } from '@fedgw/subgraph-kit';
import { connectRedis } from '@fedgw/subgraph-kit/redis';
import { storeUnavailable } from '@fedgw/subgraph-kit/session';
import type { Store as CounterStore } from 'express-rate-limit';
import type { RefreshTokenStore, RevocationLog, SharedStore, SignInIndex, StoreOptions, TicketStore } from './contract.js';
import { redisCounters, redisRefreshTokens, redisRevocations, redisSessions, redisSignIns, redisTickets } from './redis.js';
import { guardSessions } from './sessions.js';
import { openDatabase, pruneExpired, SqliteCounterStore, SqliteSessionStore, sqliteRefreshTokens, sqliteRevocations, sqliteSignIns, sqliteTickets } from './sqlite.js';

export type * from './contract.js';

const PRUNE_INTERVAL_MS = 5 * 60 * 1000;

export async function openStore(config: StoreConfig, options: StoreOptions = {}): Promise<SharedStore> {
  // One bound for the whole store: once a call hangs, the next fail at once instead of each waiting a timeout.
  const calls = new StoreCalls(options.timeoutMs);
  const base = config.kind === 'sqlite' ? sqliteBackend(config.path, options) : redisBackend(config.url, options);
  const sessions = guardSessions(base.sessions, calls, options.observer);
  return {
    sessions,
    // `follow` waits at start for what is revoked with a bound of its own, and is no request's wait.
    revocations: { ...guarded(base.revocations, calls), follow: base.revocations.follow },
    refreshTokens: guarded(base.refreshTokens, calls),
    tickets: guarded(base.tickets, calls),
    signIns: guarded(base.signIns, calls),
    counters: (prefix) => guardedCounters(base.counters(prefix), calls),
    ping: base.ping,
    close: base.close,
  };
}

type Backend = SharedStore;

/** Every method of `target` bounded by the timeout, its failures SESSION_STORE_UNAVAILABLE. */
function guarded<T extends RevocationLog | RefreshTokenStore | TicketStore | SignInIndex>(target: T, calls: StoreCalls): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(target) as [string, (...args: unknown[]) => Promise<unknown>][]) {
    wrapped[name] = (...args: unknown[]) =>
      calls.run(() => method.apply(target, args), `the shared store (${name})`).catch((error: unknown) => {
        throw storeUnavailable(error);
      });
  }
  return wrapped as T;
}

/** The login counters' store methods, bounded like every other call (its other members pass through). */
const COUNTER_CALLS = new Set<string | symbol>(['get', 'increment', 'decrement', 'resetKey']);

function guardedCounters(store: CounterStore, calls: StoreCalls): CounterStore {
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if (!COUNTER_CALLS.has(property)) return value.bind(target);
      return (...args: unknown[]) => calls.run(() => value.apply(target, args), `the shared store (counter ${String(property)})`);
    },
  });
}

function sqliteBackend(file: string, options: StoreOptions): Backend {
  const db = openDatabase(file);
  const namespace = options.namespace ?? '';
  const prune = () => {
    try {
      pruneExpired(db);
    } catch {
      // A busy database prunes next time; lookups already skip expired rows.
    }
  };
  prune();
  const timer = setInterval(prune, PRUNE_INTERVAL_MS);
  timer.unref();
  return {
    sessions: new SqliteSessionStore(db, options.defaultSessionTtlSeconds ?? 86400),
    revocations: sqliteRevocations(db, namespace, options.pollIntervalMs ?? 250),
    refreshTokens: sqliteRefreshTokens(db, namespace),
    tickets: sqliteTickets(db, namespace),
    signIns: sqliteSignIns(db, namespace),
    counters: (prefix) => new SqliteCounterStore(db, prefix),
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

function redisBackend(url: string, options: StoreOptions): Backend {
  const redis = connectRedis(url, { timeoutMs: options.timeoutMs, onOutage: options.onOutage });
  const namespace = options.namespace ?? 'fag';
  const followers: (() => Promise<void>)[] = [];
  const revocations = redisRevocations(redis, url, namespace);
  return {
    sessions: redisSessions(redis, options.defaultSessionTtlSeconds ?? 86400),
    revocations: {
      add: revocations.add,
      async follow(listener) {
        const stop = await revocations.follow(listener);
        followers.push(stop);
        return stop;
      },
    },
    refreshTokens: redisRefreshTokens(redis, namespace),
    tickets: redisTickets(redis, namespace),
    signIns: redisSignIns(redis, namespace),
    counters: (prefix) => redisCounters(redis, prefix),
    ping: redis.ping,
    async close() {
      for (const stop of followers.splice(0)) await stop();
      await redis.close();
    },
  };
}
