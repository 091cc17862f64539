/**
 * Token mode, a subgraph's end: the caller is whoever the gateway's identity
 * token, addressed to this subgraph, says. Without one the request did not
 * come from the gateway, and is refused. A call on the caller's behalf to a
 * downstream service carries a token exchanged for that service at the
 * gateway, with this subgraph's own key as its client credential.
 */
import { AuthError } from '../../errors.js';
import { JWKS_REFETCH_COOLDOWN_SECONDS, remoteKeys } from '../../jwt.js';
import { READY } from '../../readiness.js';
import { verifiedIdentities } from '../../verified-token-cache.js';
import type { SubgraphAuthenticator, SubgraphModeContext } from '../contract.js';
import { tokenForwarding, requestToken } from './forwarding.js';
import { createIdentityTokenVerifier } from './identity-token.js';

export async function tokenSubgraph({ config, gatewayKeys }: SubgraphModeContext): Promise<SubgraphAuthenticator> {
  const verify = createIdentityTokenVerifier({
    // A new gateway key is fetched when its first token arrives (the gateway's activation delay makes sure it is published by then).
    keys: gatewayKeys ?? remoteKeys(config.gatewayJwksUrl, { cooldownMs: JWKS_REFETCH_COOLDOWN_SECONDS * 1000 }),
    issuer: config.gatewayIssuer,
    audience: config.name,
  });
  // The gateway reuses a token per (identity, subgraph) for most of its
  // lifetime: check each signature once, then answer from memory until `exp`.
  const verified = verifiedIdentities(verify);
  const forwarding = await tokenForwarding(config);
  return {
    async identify(headers, cost) {
      const token = requestToken(headers);
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
    credentialsFor: forwarding.credentialsFor,
    ...(forwarding.jwks ? { jwks: forwarding.jwks } : {}),
    readiness: async () => READY,
    async close() {},
  };
}
