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
 * How long SQLite waits for a lock held by another connection before it
 * fails (busy_timeout). It blocks the process — no timer can cut it short —
 * so it is half the store timeout, and StoreCalls fails the calls after
 * such a wait at once for a while.
 */
export const SQLITE_BUSY_TIMEOUT_MS = STORE_TIMEOUT_MS / 2;

/**
 * The calls to one store, each bounded by the timeout — and a hung store
 * costs one timeout, not one per call:
 *
 * - Redis stopped, not killed (the connection stays open, nothing comes
 *   back): while a call that timed out has not come back, every new call
 *   fails at once instead of queueing behind it for another full timeout.
 *   The store answering that call (or failing it: a closed connection) ends
 *   the hang, so service resumes by itself when the store does.
 * - SQLite locked by another connection: a call blocks for the busy
 *   timeout, then fails. After a call that failed that slowly, calls of the
 *   same kind (`what`: writes wait on a lock, reads in WAL mode do not) fail
 *   at once for one timeout, instead of each blocking the process in turn.
 */
export class StoreCalls {
  /** Calls that timed out and have not come back yet. */
  private overdue = 0;
  /** Per kind of call, until when it fails at once after a slow failure (ms since the epoch). */
  private readonly cooling = new Map<string, number>();

  constructor(readonly timeoutMs: number = STORE_TIMEOUT_MS) {}

  /** Whether the store is hung now: a call that timed out is still out. */
  get hung(): boolean {
    return this.overdue > 0;
  }

  run<T>(call: () => Promise<T> | T, what: string): Promise<T> {
    if (this.hung || (this.cooling.get(what) ?? 0) > Date.now()) {
      return Promise.reject(new TimeoutError(`${what}: the store is not answering (a call just timed out or waited out a lock)`));
    }
    const started = Date.now();
    const pending = Promise.resolve().then(call);
    return withTimeout(pending, this.timeoutMs, what).catch((error: unknown) => {
      if (error instanceof TimeoutError) this.watch(pending);
      else if (Date.now() - started >= this.timeoutMs / 2) this.cooling.set(what, Date.now() + this.timeoutMs);
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
