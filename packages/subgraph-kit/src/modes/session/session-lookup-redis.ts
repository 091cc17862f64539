/** The session lookup on Redis (the kit's Redis connection: bounded, no offline queue), loaded only for a `redis://` store. */
import { connectRedis } from '../../redis.js';
import type { SessionBackend } from './session-lookup.js';
import { SESSION_KEY_PREFIX, type StoredSession } from './session-record.js';

export function redisSessions(url: string, timeoutMs: number): SessionBackend {
  const redis = connectRedis(url, { timeoutMs });
  return {
    async get(sid) {
      const text = await redis.sendCommand(['GET', `${SESSION_KEY_PREFIX}${sid}`]);
      return typeof text === 'string' ? (JSON.parse(text) as StoredSession) : null;
    },
    ping: () => redis.ping(),
    close: () => redis.close(),
  };
}
