/**
 * The gateway's two auth modes, assembled from small parts. This is the only
 * place the gateway branches on AUTH_MODE: everything else talks to the
 * narrow interfaces returned here.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { GatewayConfig } from '../shared/config.js';
import type { Identity } from '../shared/identity.js';
import { mintAccessToken } from './access-token.js';
import { bearerAuthenticator, type Caller, type ClientAuthenticator } from './client-auth.js';
import { tokenPropagation, type IdentityPropagation } from './propagation.js';
import type { SigningKeys } from './signing-keys.js';
import type { AuthenticatedUser } from './users.js';

export interface AuthMode {
  name: GatewayConfig['authMode'];
  clientAuth: ClientAuthenticator;
  propagation: IdentityPropagation;
  /** Who the gateway is when no user is involved (schema loading, health checks). */
  gatewayCaller: Caller;
  /** Middleware in front of /auth and /graphql (session mode: the session itself). */
  middleware: RequestHandler[];
  /** Answers a successful login for `user`. */
  login(req: Request, res: Response, user: AuthenticatedUser): Promise<void>;
  logout(req: Request, res: Response): Promise<void>;
  /** Whatever this mode needs to serve requests (session mode: the store) answers. */
  readiness(): Promise<{ ok: boolean; detail?: string }>;
  close(): Promise<void>;
}

export function gatewayIdentity(config: GatewayConfig): Identity {
  return { kind: 'gateway', id: config.gatewayIssuer, scopes: [] };
}

export async function createAuthMode(config: GatewayConfig, keys: SigningKeys): Promise<AuthMode> {
  switch (config.authMode) {
    case 'token':
      return tokenMode(config, keys);
    case 'session':
      throw new Error('session mode is not implemented yet');
  }
}

function tokenMode(config: GatewayConfig, keys: SigningKeys): AuthMode {
  return {
    name: 'token',
    clientAuth: bearerAuthenticator(keys.verificationKeys, config.gatewayIssuer),
    propagation: tokenPropagation({
      key: keys.current,
      issuer: config.gatewayIssuer,
      ttlSeconds: config.identityTokenTtlSeconds,
    }),
    gatewayCaller: { identity: gatewayIdentity(config) },
    middleware: [],
    async login(_req, res, user) {
      const accessToken = await mintAccessToken(keys.current, user.identity, {
        issuer: config.gatewayIssuer,
        ttlSeconds: config.accessTokenTtlSeconds,
      });
      res.set('Cache-Control', 'no-store').json({
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: config.accessTokenTtlSeconds,
        scope: user.identity.scopes.join(' '),
      });
    },
    async logout(_req, res) {
      // An access token cannot be recalled: it lives until it expires (README).
      res.status(204).end();
    },
    readiness: async () => ({ ok: true }),
    close: async () => {},
  };
}
