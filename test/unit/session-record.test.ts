/**
 * The session record written at login, and the absolute-expiry rule the
 * gateway and every subgraph apply to it.
 */
import { describe, expect, it } from 'vitest';
import { isLive, newSessionAuth, SESSION_ID_PATTERN } from '@fedgw/subgraph-kit/session';
import type { SignedInUser } from '@fedgw/subgraph-kit';

const ALICE: SignedInUser = { identity: { kind: 'user', id: 'u1', scopes: ['admin'] }, username: 'alice', name: 'Alice' };
const NOW = Date.UTC(2030, 0, 1);

describe('newSessionAuth', () => {
  it('records the user, the login time and the absolute expiry', () => {
    expect(newSessionAuth(ALICE, 3600, NOW)).toEqual({
      identity: ALICE.identity,
      username: 'alice',
      name: 'Alice',
      createdAt: NOW,
      absoluteExpiresAt: NOW + 3600 * 1000,
    });
  });

  it('defaults to the current time', () => {
    const before = Date.now();
    const auth = newSessionAuth(ALICE, 60);
    expect(auth.createdAt).toBeGreaterThanOrEqual(before);
    expect(auth.createdAt).toBeLessThanOrEqual(Date.now());
    expect(auth.absoluteExpiresAt - auth.createdAt).toBe(60_000);
  });
});

describe('isLive', () => {
  const auth = newSessionAuth(ALICE, 60, NOW);

  it('is live until its absolute expiry, however recently used', () => {
    expect(isLive(auth, NOW)).toBe(true);
    expect(isLive(auth, NOW + 59_999)).toBe(true);
  });

  it('is over at the absolute expiry and after', () => {
    expect(isLive(auth, NOW + 60_000)).toBe(false);
    expect(isLive(auth, NOW + 86_400_000)).toBe(false);
  });

  it('is not live without a record', () => {
    expect(isLive(undefined, NOW)).toBe(false);
  });
});

describe('SESSION_ID_PATTERN', () => {
  it('takes base64url-ish ids of 16 to 128 characters only', () => {
    expect(SESSION_ID_PATTERN.test('aB3_-'.repeat(4))).toBe(true);
    expect(SESSION_ID_PATTERN.test('a'.repeat(15))).toBe(false);
    expect(SESSION_ID_PATTERN.test('a'.repeat(129))).toBe(false);
    expect(SESSION_ID_PATTERN.test(`${'a'.repeat(16)}/`)).toBe(false);
  });
});
