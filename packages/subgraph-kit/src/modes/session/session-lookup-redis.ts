/** The session lookup on Redis (the kit's Redis connection: bounded, no offline queue), loaded only for a `redis://` store. */
import { connectRedis } from '../../redis.js';
import type { StoreCalls } from '../../timeout.js';
import type { SessionBackend } from './session-lookup.js';
import { SESSION_KEY_PREFIX, type StoredSession } from './session-record.js';

/** `calls` bounds the lookup's reads (session-lookup.ts); the raw client here, so a read is not bounded twice. */
export function redisSessions(url: string, calls: StoreCalls): SessionBackend {
  const redis = connectRedis(url, { calls });
  return {
    async get(sid) {
      const text = await redis.client.sendCommand(['GET', `${SESSION_KEY_PREFIX}${sid}`]);
      return typeof text === 'string' ? (JSON.parse(text) as StoredSession) : null;
    },
    ping: () => redis.ping(),
    close: () => redis.close(),
  };
}
