/**
 * Token mode, a subgraph's end: the caller is whoever the gateway's identity
 * token, addressed to this subgraph, says. Without one the request did not
 * come from the gateway, and is refused. A call on the caller's behalf to a
 * downstream service carries a token exchanged for that service at the
 * gateway, with this subgraph's own key as its client credential.
 */
import { AuthError } from '../../errors.js';
import { headerOf, type RequestHeaders } from '../../headers.js';
import { bearerToken, JWKS_REFETCH_COOLDOWN_SECONDS, remoteKeys } from '../../jwt.js';
import { READY } from '../../readiness.js';
import { verifiedIdentities } from '../../verified-token-cache.js';
import type { SubgraphAuthenticator, SubgraphModeContext } from '../contract.js';
import { createIdentityTokenVerifier } from './identity-token.js';
import { TokenExchanger } from './token-exchange.js';
import { loadWorkloadKey } from './workload-key.js';

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
  // Only a subgraph that calls downstream services has (and makes) a key of its own.
  const key = config.downstream.length > 0 ? await loadWorkloadKey(config.keyFile, 'SUBGRAPH_KEY_FILE') : undefined;
  const exchanger = key && new TokenExchanger({ tokenEndpoint: config.tokenEndpoint, clientId: config.name, gatewayIssuer: config.gatewayIssuer, key });
  return {
    async identify(headers, cost) {
      const token = identityToken(headers);
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
    async credentialsFor(headers, audience, cost, trace): Promise<Record<string, string>> {
      const token = identityToken(headers);
      if (!exchanger || token === undefined) return {};
      return { authorization: `Bearer ${await exchanger.exchange(token, audience, cost, trace)}` };
    },
    ...(key ? { jwks: key.jwks } : {}),
    readiness: async () => READY,
    async close() {},
  };
}

function identityToken(headers: RequestHeaders): string | undefined {
  const authorization = headerOf(headers, 'authorization');
  if (typeof authorization !== 'string' && authorization !== undefined) {
    throw new AuthError('TOKEN_INVALID', 'one Authorization header, "Bearer <token>"');
  }
  return bearerToken(authorization);
}
