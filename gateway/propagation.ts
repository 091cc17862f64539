/**
 * Identity propagation: what the gateway adds to a subgraph fetch so the
 * subgraph learns who the caller is. One strategy per auth mode, behind one
 * narrow interface; the data source does not know which is in use.
 */
import { mintIdentityToken, type MintedToken, type SigningKey } from '../shared/identity-token.js';
import type { AuthCost } from '../shared/auth-cost.js';
import { SESSION_ID_HEADER } from '../shared/subgraph-auth.js';
import type { Caller } from './client-auth.js';

export interface IdentityPropagation {
  /** Headers for one fetch to `subgraph` on behalf of `caller`; what it cost goes into `cost`. */
  headersFor(subgraph: string, caller: Caller, cost?: AuthCost): Promise<Record<string, string>>;
}

/**
 * Headers that carry identity. The gateway deletes all of them from every
 * subgraph request before adding its own, so nothing a client sent survives.
 */
export const IDENTITY_HEADERS = ['authorization', 'cookie', 'x-session-id', 'x-user-id', 'x-identity', 'x-forwarded-user'];

export interface TokenPropagationOptions {
  key: SigningKey;
  issuer: string;
  ttlSeconds: number;
  /** Bound on cached tokens; the oldest are dropped first. */
  maxCachedTokens?: number;
  /** Told of every token signed and every cache hit, schema loading included (metrics). */
  observer?: { tokenSigned(subgraph: string): void; tokenCacheHit(subgraph: string): void };
}

/**
 * Token mode: one identity JWT per (identity, subgraph), reused until shortly
 * before it expires, so a query with many fetches signs at most once per
 * subgraph and a busy caller once per token lifetime.
 */
export function tokenPropagation(options: TokenPropagationOptions): IdentityPropagation {
  const maxCached = options.maxCachedTokens ?? 10_000;
  // Refresh a little before expiry so a token never arrives expired.
  const refreshMargin = Math.min(10, Math.floor(options.ttlSeconds / 4));
  const cache = new Map<string, Promise<MintedToken>>();

  async function tokenFor(subgraph: string, caller: Caller, cost?: AuthCost): Promise<string> {
    const identity = caller.identity;
    const key = `${subgraph}\0${identity?.kind ?? ''}\0${identity?.id ?? ''}\0${identity?.scopes.join(' ') ?? ''}`;
    const now = Math.floor(Date.now() / 1000);
    const cached = cache.get(key);
    if (cached) {
      const minted = await cached.catch(() => undefined);
      if (minted && minted.expiresAt - refreshMargin > now) {
        if (cost) cost.tokenCacheHits++;
        options.observer?.tokenCacheHit(subgraph);
        return minted.token;
      }
      if (cache.get(key) !== cached) return tokenFor(subgraph, caller, cost);
      cache.delete(key);
    }
    const minting = mintIdentityToken(options.key, {
      issuer: options.issuer,
      audience: subgraph,
      identity,
      ttlSeconds: options.ttlSeconds,
    });
    if (cost) cost.tokensSigned++;
    options.observer?.tokenSigned(subgraph);
    cache.set(key, minting);
    if (cache.size > maxCached) cache.delete(cache.keys().next().value!);
    minting.catch(() => cache.delete(key));
    return (await minting).token;
  }

  return {
    async headersFor(subgraph, caller, cost) {
      return { authorization: `Bearer ${await tokenFor(subgraph, caller, cost)}` };
    },
  };
}

/**
 * Session mode: only the session id travels; each subgraph reads the
 * session from the shared store. An anonymous caller sends nothing.
 */
export function sessionPropagation(): IdentityPropagation {
  return {
    async headersFor(_subgraph, caller): Promise<Record<string, string>> {
      return caller.sessionId ? { [SESSION_ID_HEADER]: caller.sessionId } : {};
    },
  };
}
