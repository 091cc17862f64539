/**
 * Token mode, a subgraph's end: the caller is whoever the gateway's identity
 * token, addressed to this subgraph, says. Without one the request did not
 * come from the gateway, and is refused.
 */
import { AuthError } from '../../errors.js';
import { headerOf } from '../../headers.js';
import { bearerToken, JWKS_REFETCH_COOLDOWN_SECONDS, remoteKeys } from '../../jwt.js';
import { READY } from '../../readiness.js';
import { verifiedIdentities } from '../../verified-token-cache.js';
import type { SubgraphAuthenticator, SubgraphModeContext } from '../contract.js';
import { createIdentityTokenVerifier } from './identity-token.js';

export async function tokenSubgraph({ config }: SubgraphModeContext): Promise<SubgraphAuthenticator> {
  const verify = createIdentityTokenVerifier({
    // A new gateway key is fetched when its first token arrives (the gateway's activation delay makes sure it is published by then).
    keys: remoteKeys(config.gatewayJwksUrl, { cooldownMs: JWKS_REFETCH_COOLDOWN_SECONDS * 1000 }),
    issuer: config.gatewayIssuer,
    audience: config.name,
  });
  // The gateway reuses a token per (identity, subgraph) for most of its
  // lifetime: check each signature once, then answer from memory until `exp`.
  const verified = verifiedIdentities(verify);
  return {
    async identify(headers, cost) {
      const authorization = headerOf(headers, 'authorization');
      if (typeof authorization !== 'string' && authorization !== undefined) {
        throw new AuthError('TOKEN_INVALID', 'one Authorization header, "Bearer <token>"');
      }
      const token = bearerToken(authorization);
      if (token === undefined) {
        // Only the gateway may call a subgraph, and it always sends a token.
        throw new AuthError('TOKEN_MISSING', 'this subgraph accepts only requests from the gateway');
      }
      const cached = verified.get(token);
      if (cached) {
        cost.verifyCacheHits++;
        return cached;
      }
      cost.tokensVerified++;
      return verified.verify(token);
    },
    readiness: async () => READY,
    async close() {},
  };
}
