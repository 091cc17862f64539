/**
 * Token mode's contract modules, for both sides: the identity token (the
 * gateway mints it, a subgraph verifies it), the rules every JWT is verified
 * by and the JWKS handling (last good keys, refetch on an unknown `kid`),
 * and the cache of tokens already verified.
 */
export * from './modes/token/identity-token.js';
export * from './jwt.js';
export * from './verified-token-cache.js';
