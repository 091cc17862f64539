/**
 * Token mode, a downstream service's end: the caller is whoever the
 * downstream token the gateway issued for this service says (token
 * exchange), and the calling actor (`act`) must be one it takes calls from.
 * An identity token, an access token or another service's downstream token
 * is refused: each has another `typ` or `aud`. A call it makes further (its
 * own `downstream`) carries that token exchanged again at the gateway,
 * which nests this service as the new outermost actor.
 */
import { decodeJwt } from 'jose';
import { AuthError } from '../../errors.js';
import { JWKS_REFETCH_COOLDOWN_SECONDS, remoteKeys } from '../../jwt.js';
import { READY } from '../../readiness.js';
import { VerifiedTokenCache } from '../../verified-token-cache.js';
import type { DownstreamAuthenticator, DownstreamModeContext } from '../contract.js';
import { createDownstreamTokenVerifier, type DownstreamCaller } from './downstream-token.js';
import { requestToken, tokenForwarding } from './forwarding.js';

export async function tokenDownstream({ config, allowedActors }: DownstreamModeContext): Promise<DownstreamAuthenticator> {
  const verify = createDownstreamTokenVerifier({
    keys: remoteKeys(config.gatewayJwksUrl, { cooldownMs: JWKS_REFETCH_COOLDOWN_SECONDS * 1000 }),
    issuer: config.gatewayIssuer,
    audience: config.name,
    allowedActors,
  });
  // A subgraph reuses an exchanged token for most of its lifetime: check each once.
  const verified = new VerifiedTokenCache<DownstreamCaller>(async (token) => ({ value: await verify(token), expiresAt: (decodeJwt(token).exp ?? 0) * 1000 }));
  const forwarding = await tokenForwarding(config);
  return {
    async identify(headers, cost) {
      const token = requestToken(headers);
      if (token === undefined) throw new AuthError('TOKEN_MISSING', `${config.name} takes calls only with a token the gateway issued for it`);
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
