/**
 * The session half of the shared store, whatever the backend: every
 * express-session Store call bounded by a timeout, timed for the metrics,
 * and any failure turned into SESSION_STORE_UNAVAILABLE.
 */
import type session from 'express-session';
import type { SessionData } from 'express-session';
import type { SessionStoreObserver, StoreCalls } from '@fedgw/subgraph-kit';
import { storeUnavailable } from '@fedgw/subgraph-kit/session';

/** Session expiry as express-session sets it: the cookie's expiry, else the default TTL. */
export function sessionExpiresAt(sess: SessionData, ttlSeconds: number): number {
  const expires = sess.cookie?.expires;
  return expires ? new Date(expires).getTime() : Date.now() + ttlSeconds * 1000;
}

const OPERATIONS = ['get', 'set', 'destroy', 'touch'] as const;

/** The callback-style store method, as a promise (connect-redis also returns one; its rejection counts too). */
function call(method: (...args: any[]) => unknown, args: any[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const result = method(...args, (error: unknown, value?: unknown) => (error ? reject(error) : resolve(value)));
    if (result instanceof Promise) result.catch(reject);
  });
}

/** Bounds (by `calls`, shared with the store's other calls) and observes every callback-style method of `store`, in place. */
export function guardSessions(store: session.Store, calls: StoreCalls, observer?: SessionStoreObserver): session.Store {
  for (const operation of OPERATIONS) {
    const original = (store[operation] as ((...args: any[]) => unknown) | undefined)?.bind(store);
    if (!original) continue;
    (store as any)[operation] = (...args: any[]) => {
      const callback = typeof args[args.length - 1] === 'function' ? (args.pop() as (...a: any[]) => void) : () => {};
      const started = process.hrtime.bigint();
      const settle = (error: unknown, value?: unknown) => {
        observer?.observe(operation, Number(process.hrtime.bigint() - started) / 1e9, Boolean(error));
        if (error) callback(storeUnavailable(error));
        else callback(null, value);
      };
      calls.run(() => call(original, args), `the session store (${operation})`).then(
        (value) => settle(null, value),
        (error: unknown) => settle(error),
      );
    };
  }
  return store;
}
