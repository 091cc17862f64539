/**
 * The subgraph side of identity propagation: one function turns an incoming
 * request into `context.identity`, whichever mode carried it. Subgraph code
 * never looks at headers itself.
 */
import type { IncomingMessage } from 'node:http';
import { createRemoteJWKSet } from 'jose';
import type { SubgraphConfig } from './config.js';
import { AuthError } from './errors.js';
import type { Identity } from './identity.js';
import { createIdentityTokenVerifier } from './identity-token.js';
import { bearerToken } from './jwt.js';

export interface SubgraphAuthenticator {
  /** The caller's identity, null when anonymous; throws AuthError to refuse the request. */
  identify(req: IncomingMessage): Promise<Identity | null>;
  close(): Promise<void>;
}

export function createSubgraphAuthenticator(config: SubgraphConfig): SubgraphAuthenticator {
  switch (config.authMode) {
    case 'token':
      return tokenAuthenticator(config);
    case 'session':
      throw new Error('session mode is not implemented yet');
  }
}

function tokenAuthenticator(config: SubgraphConfig): SubgraphAuthenticator {
  const verify = createIdentityTokenVerifier({
    keys: createRemoteJWKSet(new URL(config.gatewayJwksUrl), {
      // A JWKS outage must answer fast (503), not hold the request.
      timeoutDuration: 2000,
      // An unknown kid (key rotation) refetches at most this often.
      cooldownDuration: 30_000,
    }),
    issuer: config.gatewayIssuer,
    audience: config.name,
  });
  return {
    async identify(req) {
      const token = bearerToken(req.headers.authorization);
      if (token === undefined) {
        // Only the gateway may call a subgraph, and it always sends a token.
        throw new AuthError('TOKEN_MISSING', 'this subgraph accepts only requests from the gateway');
      }
      return verify(token);
    },
    async close() {},
  };
}
