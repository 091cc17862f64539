/**
 * A bounded cache of tokens a subgraph has already verified. The gateway
 * reuses one identity token per (identity, subgraph) for most of its
 * lifetime, so without this every fetch would pay a signature check for a
 * token this process has already checked.
 *
 * Only successful verifications are kept, keyed by the exact token string,
 * and only until the token's own `exp`: a cached answer never outlives what
 * verification itself would accept. A token seen again while its first
 * verification is still running shares that verification. When the bound is
 * reached the oldest entry goes first; a dropped token is simply verified
 * again.
 */
import { decodeJwt } from 'jose';
import type { Identity } from './identity.js';

export interface Verified<T> {
  value: T;
  /** ms since the epoch: the token's `exp`. */
  expiresAt: number;
}

export interface VerifiedTokenCacheOptions {
  maxEntries?: number;
  /** ms since the epoch; injectable for tests. */
  now?: () => number;
}

interface Entry<T> {
  result: Promise<T>;
  /** Infinity while the verification is still running. */
  expiresAt: number;
}

export class VerifiedTokenCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly verifyToken: (token: string) => Promise<Verified<T>>,
    options: VerifiedTokenCacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Forgets every answer (the keys they were verified with changed). */
  clear(): void {
    this.entries.clear();
  }

  /** The cached answer for `token` (possibly still being verified), or undefined. */
  get(token: string): Promise<T> | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (entry.expiresAt > this.now()) return entry.result;
    this.entries.delete(token);
    return undefined;
  }

  /** Verifies `token` for real and remembers a success until the token expires. */
  verify(token: string): Promise<T> {
    const entry: Entry<T> = { result: undefined as unknown as Promise<T>, expiresAt: Infinity };
    entry.result = this.verifyToken(token).then(
      (verified) => {
        entry.expiresAt = verified.expiresAt;
        return verified.value;
      },
      (error: unknown) => {
        // A refusal is never cached: the next request verifies (and refuses) again.
        if (this.entries.get(token) === entry) this.entries.delete(token);
        throw error;
      },
    );
    this.entries.delete(token);
    this.entries.set(token, entry);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return entry.result;
  }
}

/**
 * A cache of the identities behind verified tokens (the gateway's access
 * tokens, the subgraphs' identity tokens). Each identity is shared by every
 * request that carries the token, so it is frozen: no resolver may change it.
 * `verify` has already required `exp`; reading it back needs no second check.
 */
export function verifiedIdentities<I extends Identity | null>(
  verify: (token: string) => Promise<I>,
  options?: VerifiedTokenCacheOptions,
): VerifiedTokenCache<I> {
  return new VerifiedTokenCache(async (token: string) => {
    const identity = freezeIdentity(await verify(token));
    return { value: identity, expiresAt: decodeJwt(token).exp! * 1000 };
  }, options);
}

/** An identity shared by every request that carries one token: no resolver may change it. */
export function freezeIdentity<I extends Identity | null>(identity: I): I {
  if (identity) {
    Object.freeze(identity.scopes);
    Object.freeze(identity);
  }
  return identity;
}
