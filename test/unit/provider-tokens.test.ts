import { describe, expect, it } from 'vitest';
import { openProviderTokens, sealProviderTokens, storedProviderSignIn } from '../../shared/auth-modes/session/provider-tokens.js';

const SECRET = 'a-session-secret-of-at-least-32-characters';
const TOKENS = { idToken: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2ln', accessToken: 'provider-access-token', refreshToken: 'provider-refresh-token' };

describe('the provider tokens of a session record', () => {
  it('are sealed: the stored sign-in keeps sub and sid in clear and no token', () => {
    const stored = storedProviderSignIn({ sub: 'u1', sid: 'op-session', tokens: TOKENS }, SECRET);
    expect(stored).toMatchObject({ sub: 'u1', sid: 'op-session' });
    expect(stored).not.toHaveProperty('tokens');
    const text = JSON.stringify(stored);
    for (const token of Object.values(TOKENS)) expect(text).not.toContain(token);
  });

  it('open with the secret that sealed them, and only with it', () => {
    const sealed = sealProviderTokens(TOKENS, SECRET);
    expect(openProviderTokens(sealed, SECRET)).toEqual(TOKENS);
    expect(openProviderTokens(sealed, `${SECRET}!`)).toBeUndefined();
  });

  it('refuse an altered record', () => {
    const [version, iv, data, tag] = sealProviderTokens(TOKENS, SECRET).split('.');
    const flipped = Buffer.from(data!, 'base64url');
    flipped[0] ^= 1;
    expect(openProviderTokens([version, iv, flipped.toString('base64url'), tag].join('.'), SECRET)).toBeUndefined();
    expect(openProviderTokens(['v2', iv, data, tag].join('.'), SECRET)).toBeUndefined();
    expect(openProviderTokens('v1.only-two', SECRET)).toBeUndefined();
  });

  it('differ each time they are sealed (a fresh IV)', () => {
    expect(sealProviderTokens(TOKENS, SECRET)).not.toBe(sealProviderTokens(TOKENS, SECRET));
  });
});
