/**
 * Token mode, carrying the caller on: a subgraph, or a downstream service a
 * hop further, calls a service it lists in `downstream` with a token the
 * gateway exchanged for the one its own request carries (an identity token
 * at a subgraph, a downstream token at a downstream service: the gateway
 * nests the actors), its request authenticated with this service's own key.
 * Only a service with `downstream` services has (and makes) such a key.
 */
import type { SubgraphKitConfig } from '../../config.js';
import { AuthError } from '../../errors.js';
import { headerOf, type RequestHeaders } from '../../headers.js';
import { bearerToken } from '../../jwt.js';
import type { CallerForwarding } from '../contract.js';
import { TokenExchanger } from './token-exchange.js';
import { loadWorkloadKey } from './workload-key.js';

export async function tokenForwarding(config: SubgraphKitConfig): Promise<CallerForwarding> {
  if (config.downstream.length === 0) return { credentialsFor: async () => ({}) };
  const key = await loadWorkloadKey(config.keyFile, 'SUBGRAPH_KEY_FILE');
  const exchanger = new TokenExchanger({ tokenEndpoint: config.tokenEndpoint, clientId: config.name, gatewayIssuer: config.gatewayIssuer, key });
  return {
    jwks: key.jwks,
    async credentialsFor(headers, audience, cost, trace): Promise<Record<string, string>> {
      const token = requestToken(headers);
      if (token === undefined) return {};
      return { authorization: `Bearer ${await exchanger.exchange(token, audience, cost, trace)}` };
    },
  };
}

/** The bearer token a request carries, undefined without one; TOKEN_INVALID for anything else in Authorization. */
export function requestToken(headers: RequestHeaders): string | undefined {
  const authorization = headerOf(headers, 'authorization');
  if (typeof authorization !== 'string' && authorization !== undefined) {
    throw new AuthError('TOKEN_INVALID', 'one Authorization header, "Bearer <token>"');
  }
  return bearerToken(authorization);
}
