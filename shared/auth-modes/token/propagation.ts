/**
 * Token mode's propagation: one identity JWT per (identity, sign-in, subgraph),
 * reused until shortly before it expires, so a query with many fetches
 * signs at most once per subgraph and a busy caller once per token lifetime.
 */
import { mintIdentityToken, type MintedIdentityToken } from '@fedgw/subgraph-kit/token';
import type { AuthCost } from '../../observability/auth-cost.js';
import type { CarrierNote } from '../../observability/auth-trace.js';
import type { Caller, IdentityPropagation, PropagationObserver, SigningKeys } from '../contract.js';

export interface TokenPropagationOptions {
  /** The key that signs now is taken at each signing. */
  keys: Pick<SigningKeys, 'current'>;
  issuer: string;
  ttlSeconds: number;
  /** Bound on cached tokens; the oldest are dropped first. */
  maxCachedTokens?: number;
  /** Told of every token signed and every cache hit, schema loading included (metrics). */
  observer?: PropagationObserver;
}

export interface TokenPropagation extends IdentityPropagation {
  /** Drops the identity tokens cached for identity `id` (its tokens were revoked). */
  forget(id: string): void;
}

export function tokenPropagation(options: TokenPropagationOptions): TokenPropagation {
  const maxCached = options.maxCachedTokens ?? 10_000;
  // Refresh a little before expiry so a token never arrives expired.
  const refreshMargin = Math.min(10, Math.floor(options.ttlSeconds / 4));
  const cache = new Map<string, Promise<MintedIdentityToken>>();

  const mint = (key: string, subgraph: string, caller: Caller, cost?: AuthCost) => {
    const minting = mintIdentityToken(options.keys.current, {
      issuer: options.issuer,
      audience: subgraph,
      identity: caller.identity,
      ttlSeconds: options.ttlSeconds,
      ...(caller.sid !== undefined ? { sid: caller.sid } : {}),
    });
    if (cost) cost.tokensSigned++;
    options.observer?.tokenSigned(subgraph);
    cache.set(key, minting);
    if (cache.size > maxCached) cache.delete(cache.keys().next().value!);
    minting.catch(() => cache.delete(key));
    return minting;
  };

  // A caller is one request's: its part of the key is built once, not at each of its fetches.
  const callerKeys = new WeakMap<Caller, string>();
  const callerKey = (caller: Caller): string => {
    let key = callerKeys.get(caller);
    if (key === undefined) {
      const identity = caller.identity;
      // Per sign-in too: the token carries its sid, which a token exchange checks against revocations.
      key = `\0${identity?.kind ?? ''}\0${identity?.id ?? ''}\0${identity?.scopes.join(' ') ?? ''}\0${caller.sid ?? ''}`;
      callerKeys.set(caller, key);
    }
    return key;
  };

  /** `trace`: told whether the token was signed now or reused, and its claims (never the token). */
  async function tokenFor(subgraph: string, caller: Caller, cost?: AuthCost, trace?: CarrierNote): Promise<string> {
    const key = subgraph + callerKey(caller);
    const cached = cache.get(key);
    if (cached) {
      const minted = await cached.catch(() => undefined);
      if (minted && minted.expiresAt - refreshMargin > Math.floor(Date.now() / 1000)) {
        if (cost) cost.tokenCacheHits++;
        options.observer?.tokenCacheHit(subgraph);
        trace?.carried({ via: 'identity-token', token: 'cached', claims: minted.claims });
        return minted.token;
      }
      if (cache.get(key) !== cached) return tokenFor(subgraph, caller, cost, trace);
      cache.delete(key);
    }
    const minted = await mint(key, subgraph, caller, cost);
    trace?.carried({ via: 'identity-token', token: 'signed', claims: minted.claims });
    return minted.token;
  }

  return {
    async headersFor(subgraph, caller, cost, trace) {
      return { authorization: `Bearer ${await tokenFor(subgraph, caller, cost, trace)}` };
    },
    forget(id) {
      const marker = `\0user\0${id}\0`;
      for (const key of cache.keys()) if (key.includes(marker)) cache.delete(key);
    },
  };
}
