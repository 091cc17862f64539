/**
 * Refresh tokens (token mode): opaque, 256 random bits, kept in the shared
 * store by their SHA-256 only, bound to one sign-in (a family). Each is
 * usable once; using one returns a new one of the same family (rotation,
 * RFC 9700 §4.14.2). A token presented a second time means it was copied:
 * the caller revokes its whole family, access tokens included.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { SignedInUser } from '@fedgw/subgraph-kit';
import type { RefreshTokenRecord, RefreshTokenStore } from '../../store/contract.js';

export type SignIn = RefreshTokenRecord;

const hashOf = (token: string) => createHash('sha256').update(token).digest('base64url');

/** A new sign-in (family) of `user`, living at most `ttlSeconds`. */
export function newSignIn(user: SignedInUser, ttlSeconds: number, now = Date.now()): SignIn {
  return { family: randomUUID(), identity: user.identity, username: user.username, name: user.name, expiresAt: now + ttlSeconds * 1000 };
}

export function refreshTokens(store: RefreshTokenStore) {
  return {
    /** A new refresh token for `signIn`. */
    async issue(signIn: SignIn): Promise<string> {
      const token = randomBytes(32).toString('base64url');
      await store.save(hashOf(token), signIn);
      return token;
    },
    /** The sign-in behind `token`, and whether it was used before; null for a token never issued, or expired. */
    redeem(token: string): Promise<{ record: SignIn; reused: boolean } | null> {
      // A refresh token is 43 base64url characters; anything else was never issued.
      if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return Promise.resolve(null);
      return store.consume(hashOf(token));
    },
  };
}
