/**
 * The shared store on Redis, for many machines: sessions through
 * connect-redis, revocations as keys that expire with what they revoke plus a
 * pub/sub channel that pushes each new one to every replica, refresh tokens
 * as keys used once (SET NX), login counters through rate-limit-redis. One
 * connection for commands (shared/redis.ts: bounded, no offline queue,
 * reconnecting), and one more for the subscription, opened only by a
 * process that follows revocations (the gateway in token mode).
 */
import { RedisStore as RedisSessionStore } from 'connect-redis';
import type { SessionData } from 'express-session';
import { RedisStore as RedisCounterStore } from 'rate-limit-redis';
import { STORE_TIMEOUT_MS } from '@fedgw/subgraph-kit';
import { connectRedis, type RedisConnection } from '@fedgw/subgraph-kit/redis';
import { SESSION_KEY_PREFIX } from '@fedgw/subgraph-kit/session';
import { sleep } from '../backoff.js';
import type { RefreshTokenRecord, Revocation, RevocationLog, RefreshTokenStore, SignInIndex, TicketStore } from './contract.js';
import { sessionExpiresAt } from './sessions.js';

export function redisSessions(redis: RedisConnection, ttlSeconds: number) {
  const ttl = (sess: SessionData) => Math.max(1, Math.ceil((sessionExpiresAt(sess, ttlSeconds) - Date.now()) / 1000));
  return new RedisSessionStore({ client: redis.client, prefix: SESSION_KEY_PREFIX, ttl });
}

const lifetime = (expiresAt: number) => String(Math.max(1, expiresAt - Date.now()));

export function redisRevocations(redis: RedisConnection, url: string, namespace: string): RevocationLog {
  const keyPrefix = `${namespace}:rev:`;
  const channel = `${namespace}:revocations`;
  return {
    async add(revocation) {
      const value = JSON.stringify(revocation);
      await redis.sendCommand(['SET', `${keyPrefix}${revocation.kind}:${revocation.id}`, value, 'PX', lifetime(revocation.expiresAt)]);
      await redis.sendCommand(['PUBLISH', channel, value]);
    },
    async follow(listener) {
      const subscriber = connectRedis(url);
      const deliver = (text: string) => {
        const revocation = parseRevocation(text);
        if (revocation) listener(revocation);
      };
      let subscribed = false;
      let loaded: () => void = () => {};
      const firstLoad = new Promise<void>((resolve) => (loaded = resolve));
      // On every (re)connection: subscribe once (node-redis renews it by itself after), then read what was missed.
      const onReady = async () => {
        try {
          if (!subscribed) await subscriber.client.subscribe(channel, deliver);
          subscribed = true;
          for (const text of await scanValues(redis, `${keyPrefix}*`)) deliver(text);
          loaded();
        } catch {
          // Not connected after all: the next 'ready' tries again.
        }
      };
      subscriber.client.on('ready', () => void onReady());
      if (subscriber.client.isReady) void onReady();
      // A replica that starts must know what is revoked before it serves; with Redis down it starts anyway and reads them on reconnection.
      await Promise.race([firstLoad, sleep(STORE_TIMEOUT_MS * 2)]);
      return () => subscriber.close();
    },
  };
}

function parseRevocation(text: string): Revocation | undefined {
  try {
    const value = JSON.parse(text) as Revocation;
    return (value.kind === 'token' || value.kind === 'family') && typeof value.id === 'string' && typeof value.expiresAt === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The values of every key matching `pattern` (SCAN, then MGET per batch). */
async function scanValues(redis: RedisConnection, pattern: string): Promise<string[]> {
  const values: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = (await redis.sendCommand(['SCAN', cursor, 'MATCH', pattern, 'COUNT', '500'])) as [string, string[]];
    cursor = next;
    if (keys.length > 0) values.push(...((await redis.sendCommand(['MGET', ...keys])) as (string | null)[]).filter((v): v is string => v !== null));
  } while (cursor !== '0');
  return values;
}

export function redisRefreshTokens(redis: RedisConnection, namespace: string): RefreshTokenStore {
  const recordKey = (hash: string) => `${namespace}:rt:${hash}`;
  const usedKey = (hash: string) => `${namespace}:rt-used:${hash}`;
  return {
    async save(hash, record) {
      await redis.sendCommand(['SET', recordKey(hash), JSON.stringify(record), 'PX', lifetime(record.expiresAt)]);
    },
    async consume(hash) {
      const text = (await redis.sendCommand(['GET', recordKey(hash)])) as string | null;
      if (text === null) return null;
      const record = JSON.parse(text) as RefreshTokenRecord;
      // Whichever replica sets the marker first used the token; every later use is a reuse.
      const first = (await redis.sendCommand(['SET', usedKey(hash), '1', 'NX', 'PX', lifetime(record.expiresAt)])) === 'OK';
      return { record, reused: !first };
    },
  };
}

export function redisTickets(redis: RedisConnection, namespace: string): TicketStore {
  const key = (id: string) => `${namespace}:ticket:${id}`;
  return {
    async put(id, value, expiresAt) {
      await redis.sendCommand(['SET', key(id), JSON.stringify(value), 'PX', lifetime(expiresAt)]);
    },
    async take<T>(id: string) {
      const text = (await redis.sendCommand(['GETDEL', key(id)])) as string | null;
      return text === null ? null : (JSON.parse(text) as T);
    },
    async claim(id, expiresAt) {
      return (await redis.sendCommand(['SET', key(id), '1', 'NX', 'PX', lifetime(expiresAt)])) === 'OK';
    },
  };
}

export function redisSignIns(redis: RedisConnection, namespace: string): SignInIndex {
  const key = (name: string) => `${namespace}:signin:${name}`;
  return {
    async add(name, member, expiresAt) {
      await redis.sendCommand(['SADD', key(name), member]);
      // Members added later live longer (a sign-in lasts a fixed time from its start): the set lives until the last one's end.
      await redis.sendCommand(['PEXPIREAT', key(name), String(expiresAt)]);
    },
    async take(name) {
      const members = (await redis.sendCommand(['SMEMBERS', key(name)])) as string[];
      await redis.sendCommand(['DEL', key(name)]);
      return members;
    },
  };
}

/**
 * rate-limit-redis loads its Lua scripts once, at start; if Redis was not
 * connected yet (or was down), the failed load would stick. This store loads
 * them again before counting until a load has succeeded.
 */
class ResilientCounterStore extends RedisCounterStore {
  private loaded = false;

  override async init(options: Parameters<RedisCounterStore['init']>[0]): Promise<void> {
    this.windowMs = options.windowMs;
    this.loadScripts();
  }

  override async increment(key: string) {
    if (!this.loaded) this.loadScripts();
    return super.increment(key);
  }

  private loadScripts(): void {
    this.incrementScriptSha = this.loadIncrementScript();
    this.getScriptSha = this.loadGetScript();
    // A failure is seen by the next increment, which loads them again.
    Promise.all([this.incrementScriptSha, this.getScriptSha]).then(
      () => {
        this.loaded = true;
      },
      () => {},
    );
  }
}

export function redisCounters(redis: RedisConnection, prefix: string) {
  return new ResilientCounterStore({ sendCommand: (...args: string[]) => redis.sendCommand(args) as Promise<any>, prefix });
}
