/**
 * keyStates / parseKeyFileName: which signing key signs and which are
 * published at a given time, from the times in the key files' names.
 */
import { describe, expect, it } from 'vitest';
import { keyStates, parseKeyFileName } from '../../gateway/auth/key-states.js';

const T = Date.parse('2026-12-01T12:00:00.000Z');
const MIN = 60_000;
const policy = { activationDelayMs: 5 * MIN, retiredPublishedMs: 20 * MIN };
const key = (kid: string, createdAt: number, retiredAt?: number) => ({ kid, createdAt, ...(retiredAt === undefined ? {} : { retiredAt }) });

describe('parseKeyFileName', () => {
  it('reads the creation time from a generated name, and the retirement time after .retired-', () => {
    expect(parseKeyFileName('ed25519-2026-12-01T12-00-00-000Z.pem', 0)).toEqual({ createdAt: T });
    expect(parseKeyFileName('ed25519-2026-12-01T12-00-00-000Z.retired-2026-12-01T13-00-00-000Z.pem', 0)).toEqual({ createdAt: T, retiredAt: T + 60 * MIN });
  });

  it('counts a name without a time from the file modification time', () => {
    expect(parseKeyFileName('my-key.pem', 1234)).toEqual({ createdAt: 1234 });
    expect(parseKeyFileName('ed25519-rotated.pem', 1234)).toEqual({ createdAt: 1234 });
    expect(parseKeyFileName('my-key.retired-2026-12-01T12-00-00-000Z.pem', 1234)).toEqual({ createdAt: 1234, retiredAt: T });
  });
});

describe('keyStates', () => {
  it('lets a fresh folder sign with its only key at once', () => {
    const only = key('a', T);
    expect(keyStates([only], T, policy)).toMatchObject({ signer: only, published: [only], nextChange: T + 5 * MIN });
  });

  it('publishes a new key at once and lets it sign only after the activation delay', () => {
    const old = key('old', T - 60 * MIN);
    const fresh = key('new', T);
    expect(keyStates([old, fresh], T + MIN, policy)).toMatchObject({ signer: old, published: [old, fresh], nextChange: T + 5 * MIN });
    expect(keyStates([old, fresh], T + 5 * MIN, policy).signer).toBe(fresh);
  });

  it('stops signing with a retired key at once, and publishes it for retiredPublishedMs', () => {
    const old = key('old', T - 60 * MIN, T);
    const fresh = key('new', T - 10 * MIN);
    const during = keyStates([old, fresh], T + MIN, policy);
    expect(during.signer).toBe(fresh);
    expect(during.published).toEqual([old, fresh]);
    expect(during.nextChange).toBe(T + 20 * MIN);
    expect(keyStates([old, fresh], T + 20 * MIN, policy).published).toEqual([fresh]);
  });

  it('while no key is active yet, the oldest in use signs; with every key retired, the newest retired', () => {
    const a = key('a', T);
    const b = key('b', T + MIN);
    expect(keyStates([b, a], T + 2 * MIN, policy).signer).toBe(a);
    const retiredA = key('a', T, T + 10 * MIN);
    const retiredB = key('b', T + MIN, T + 10 * MIN);
    expect(keyStates([retiredA, retiredB], T + 11 * MIN, policy).signer).toBe(retiredB);
  });

  it('gives every replica the same answer for keys created at the same moment (ordered by kid)', () => {
    const x = key('x', T - 60 * MIN);
    const y = key('y', T - 60 * MIN);
    expect(keyStates([x, y], T, policy).signer).toBe(keyStates([y, x], T, policy).signer);
  });

  it('never changes again once every time has passed', () => {
    expect(keyStates([key('a', T - 60 * MIN)], T, policy).nextChange).toBe(Infinity);
  });
});
