/**
 * Token mode's contract modules, for both sides: the identity token (the
 * gateway mints it, a subgraph verifies it), the downstream token and the
 * token-exchange parameters (the gateway issues it, a downstream service
 * verifies it), the client assertion (a subgraph signs it, the gateway
 * verifies it) and a service's own key, the rules every JWT is verified by
 * and the JWKS handling (last good keys, refetch on an unknown `kid`), and
 * the cache of tokens already verified.
 */
export * from './modes/token/identity-token.js';
export * from './modes/token/downstream-token.js';
export * from './modes/token/client-assertion.js';
export * from './modes/token/token-exchange.js';
export * from './modes/token/workload-key.js';
export * from './jwt.js';
export * from './verified-token-cache.js';
