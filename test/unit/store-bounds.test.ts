/**
 * The bounds on store calls: StoreCalls (the kit's: a hung store costs one
 * timeout, then calls fail at once until it answers again) and the session
 * renewal interval (shared/auth-modes/session/renewal.ts).
 */
import { describe, expect, it } from 'vitest';
import { StoreCalls, TimeoutError } from '@fedgw/subgraph-kit';
import { renewalIntervalMs } from '../../shared/auth-modes/session/renewal.js';

describe('StoreCalls', () => {
  it('passes answers and failures through', async () => {
    const calls = new StoreCalls(200);
    await expect(calls.run(() => 'v', 'get')).resolves.toBe('v');
    await expect(calls.run(() => Promise.reject(new Error('down')), 'get')).rejects.toThrow('down');
    expect(calls.hung).toBe(false);
  });

  it('fails every call at once while a call that timed out is still out, and serves again once it comes back', async () => {
    const calls = new StoreCalls(100);
    let answer: (value: string) => void = () => {};
    const hung = calls.run(() => new Promise<string>((resolve) => (answer = resolve)), 'get');
    await expect(hung).rejects.toBeInstanceOf(TimeoutError);
    expect(calls.hung).toBe(true);
    let ran = false;
    await expect(
      calls.run(() => {
        ran = true;
        return 'v';
      }, 'get'),
    ).rejects.toBeInstanceOf(TimeoutError);
    // Not even sent: a hung store gets no more calls queued behind the first.
    expect(ran).toBe(false);
    answer('late');
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.hung).toBe(false);
    await expect(calls.run(() => 'v', 'get')).resolves.toBe('v');
  });

  it('after a call that failed only after a long wait (a lock), fails that kind of call at once for a while', async () => {
    const calls = new StoreCalls(100);
    const locked = () => {
      // What better-sqlite3 does on a lock: block for the busy timeout, then throw.
      const until = Date.now() + 60;
      while (Date.now() < until);
      throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    };
    await expect(calls.run(locked, 'set')).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    let ran = false;
    const again = () => {
      ran = true;
      return 'v';
    };
    await expect(calls.run(again, 'set')).rejects.toBeInstanceOf(TimeoutError);
    expect(ran).toBe(false);
    // Another kind of call (a read, which WAL does not lock) goes on.
    await expect(calls.run(() => 'read', 'get')).resolves.toBe('read');
    await new Promise((resolve) => setTimeout(resolve, 120));
    await expect(calls.run(again, 'set')).resolves.toBe('v');
  });
});

describe('renewalIntervalMs', () => {
  it('is a tenth of the idle timeout, at least a minute, at most half of it', () => {
    expect(renewalIntervalMs(1800)).toBe(180_000);
    expect(renewalIntervalMs(3600)).toBe(360_000);
    expect(renewalIntervalMs(300)).toBe(60_000);
    expect(renewalIntervalMs(100)).toBe(50_000);
    expect(renewalIntervalMs(4)).toBe(2_000);
  });
});
