/**
 * The one Redis client set-up, for everything that keeps shared state in
 * Redis (the session store, the login limits). An outage must be a fast,
 * clear answer, never a hang:
 *
 * - commands fail at once while disconnected (no offline queue: that queue
 *   is how a Redis outage turns into hung requests);
 * - every command and ping is bounded by a timeout, and a hung Redis
 *   (stopped, its connection open) costs one timeout, not one per command
 *   (StoreCalls);
 * - the client reconnects forever, at most a second apart, and the process
 *   starts (and reports not ready) while Redis is down.
 */
import { createClient } from 'redis';
import type { Readiness } from './readiness.js';
import { StoreCalls, withTimeout } from './timeout.js';

export type RedisClient = ReturnType<typeof createClient>;

export interface RedisConnection {
  client: RedisClient;
  /** One raw command (e.g. for rate-limit-redis), bounded by the timeout. */
  sendCommand(args: string[]): Promise<unknown>;
  /** Whether Redis answers now. */
  ping(): Promise<Readiness>;
  close(): Promise<void>;
}

export interface RedisOptions {
  timeoutMs?: number;
  /** The bound its commands share with the other calls to the same store (default: its own). */
  calls?: StoreCalls;
  /** Told once per outage, with the first error of it (the client emits one per failed reconnect). */
  onOutage?(error: Error): void;
}

export function connectRedis(url: string, options: RedisOptions = {}): RedisConnection {
  const calls = options.calls ?? new StoreCalls(options.timeoutMs);
  const timeoutMs = calls.timeoutMs;
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 1000, reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1000) },
  });
  let lastError: string | undefined;
  let down = false;
  // node-redis emits 'error' on every failed reconnect; without a listener it would crash the process.
  client.on('error', (error: Error) => {
    lastError = error.message || String(error);
    if (!down) options.onOutage?.(error);
    down = true;
  });
  client.on('ready', () => {
    lastError = undefined;
    down = false;
  });
  // Do not wait: a process must start (and report not ready) while Redis is down.
  client.connect().catch((error: Error) => {
    lastError = error.message;
  });
  return {
    client,
    sendCommand: (args) => calls.run(() => client.sendCommand(args), 'redis'),
    async ping() {
      if (!client.isReady) return { ok: false, detail: `redis not connected${lastError ? `: ${lastError}` : ''}` };
      try {
        await withTimeout(client.ping(), timeoutMs, 'redis ping');
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
