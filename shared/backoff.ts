/**
 * Retry delays, the one way this project waits before trying again: the
 * first delay, doubled on every retry up to a ceiling. A `Backoff` that
 * `givesUp` answers undefined once the next delay would pass the ceiling
 * (a few quick retries, then leave it to the next event); otherwise it
 * stays at the ceiling for as long as it is asked.
 */

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Stop (next() → undefined) instead of repeating the ceiling. */
  givesUp?: boolean;
}

export class Backoff {
  private last: number | undefined;

  constructor(private readonly options: BackoffOptions) {}

  /** The delay before the next attempt, or undefined when it gives up. */
  next(): number | undefined {
    const { initialMs, maxMs, givesUp } = this.options;
    const wanted = this.last === undefined ? initialMs : this.last * 2;
    if (wanted > maxMs && givesUp) return undefined;
    this.last = Math.min(wanted, maxMs);
    return this.last;
  }

  /** After a success: the next failure starts from the first delay again. */
  reset(): void {
    this.last = undefined;
  }
}

/** Waits `ms`, or less if `signal` aborts first (a stop must not wait out a retry delay). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
