/**
 * Backoff: the first delay, doubled up to a ceiling, then either the ceiling
 * forever or, with givesUp, undefined. sleep: a wait an AbortSignal cuts short.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Backoff, sleep } from '../../shared/backoff.js';

const delays = (backoff: Backoff, count: number) => Array.from({ length: count }, () => backoff.next());
/** Lets pending promise callbacks run (a regression then fails at once rather than hanging the test). */
const flush = async () => {
  for (let i = 0; i < 3; i++) await Promise.resolve();
};

describe('Backoff', () => {
  it('doubles the delay up to the ceiling, then stays there', () => {
    expect(delays(new Backoff({ initialMs: 100, maxMs: 1000 }), 7)).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('gives up once the next delay would pass the ceiling', () => {
    expect(delays(new Backoff({ initialMs: 100, maxMs: 400, givesUp: true }), 5)).toEqual([100, 200, 400, undefined, undefined]);
  });

  it('uses a delay equal to the ceiling before giving up', () => {
    expect(delays(new Backoff({ initialMs: 100, maxMs: 800, givesUp: true }), 5)).toEqual([100, 200, 400, 800, undefined]);
  });

  it('gives up at once when the first delay is already past the ceiling', () => {
    expect(new Backoff({ initialMs: 500, maxMs: 100, givesUp: true }).next()).toBeUndefined();
    expect(new Backoff({ initialMs: 500, maxMs: 100 }).next()).toBe(100);
  });

  it('starts again from the first delay after reset', () => {
    const backoff = new Backoff({ initialMs: 50, maxMs: 200, givesUp: true });
    delays(backoff, 4);
    backoff.reset();
    expect(delays(backoff, 2)).toEqual([50, 100]);
  });
});

describe('sleep', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves after the delay', async () => {
    vi.useFakeTimers();
    let done = false;
    void sleep(1000).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await flush();
    expect(done).toBe(true);
  });

  it('resolves as soon as the signal aborts, and clears its timer', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    let done = false;
    void sleep(60_000, controller.signal).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(10);
    expect(done).toBe(false);
    controller.abort();
    await flush();
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not wait at all on an already aborted signal', async () => {
    vi.useFakeTimers();
    let done = false;
    void sleep(60_000, AbortSignal.abort()).then(() => (done = true));
    await flush();
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops listening to the signal once the delay is over', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    void sleep(100, controller.signal);
    await vi.advanceTimersByTimeAsync(100);
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function));
  });
});
