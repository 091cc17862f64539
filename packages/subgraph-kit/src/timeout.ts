/** Bounding a wait: every call that could hang (a subgraph, a store, Redis) goes through this. */

/**
 * The bound on every call to a shared store (the session store, Redis): an
 * outage answers fast. 1 s leaves room, within the 2 s a client is promised
 * an answer in, for the one store wait a request can meet (StoreCalls).
 */
export const STORE_TIMEOUT_MS = 1000;

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** `promise`, or a TimeoutError naming `what` after `ms`; the timer never outlives the race. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The calls to one store, each bounded by the timeout — and a hung store
 * (Redis stopped, not killed: the connection stays open and nothing comes
 * back) costs one timeout, not one per call: while a call that timed out
 * has not come back, every new call fails at once instead of queueing
 * behind it for another full timeout. The store answering that call (or
 * failing it: a closed connection) ends the hang, so service resumes by
 * itself when the store does.
 */
export class StoreCalls {
  /** Calls that timed out and have not come back yet. */
  private overdue = 0;

  constructor(readonly timeoutMs: number = STORE_TIMEOUT_MS) {}

  /** Whether the store is hung now: a call that timed out is still out. */
  get hung(): boolean {
    return this.overdue > 0;
  }

  run<T>(call: () => Promise<T> | T, what: string): Promise<T> {
    if (this.hung) return Promise.reject(new TimeoutError(`${what}: the store has not answered a call that timed out`));
    const pending = Promise.resolve().then(call);
    return withTimeout(pending, this.timeoutMs, what).catch((error: unknown) => {
      if (error instanceof TimeoutError) this.watch(pending);
      throw error;
    });
  }

  private watch(pending: Promise<unknown>): void {
    this.overdue++;
    const back = () => {
      this.overdue--;
    };
    pending.then(back, back);
  }
}
