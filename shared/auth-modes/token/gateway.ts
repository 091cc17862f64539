/**
 * Token mode, the gateway's end. A client presents a bearer access token —
 * the gateway's own (minted at login) or an external provider's — and each
 * subgraph fetch carries an identity token addressed to that subgraph.
 */
import type { Request } from 'express';
import { decodeJwt } from 'jose';
import { AuthError } from '../../errors.js';
import { bearerToken, MAX_TOKEN_BYTES } from '../../jwt.js';
import { READY } from '../../readiness.js';
import { ANONYMOUS, type Caller, type GatewayAuthStrategy, type GatewayModeContext } from '../contract.js';
import { gatewayAccessTokens, mintAccessToken, type AccessTokenVerifier } from './access-token.js';
import { externalAccessTokens } from './external-issuer.js';
import { tokenPropagation } from './propagation.js';

export async function tokenGateway({ config, keys, observer }: GatewayModeContext): Promise<GatewayAuthStrategy> {
  const authenticate = bearerCallers([
    gatewayAccessTokens(keys, config.gatewayIssuer),
    ...(config.oidc ? [externalAccessTokens(config.oidc)] : []),
  ]);
  return {
    authenticate: (req) => authenticate(req),
    propagation: tokenPropagation({ keys, issuer: config.gatewayIssuer, ttlSeconds: config.identityTokenTtlSeconds, observer }),
    middleware: [],
    async signIn(_req, res, user) {
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
    async signOut(_req, res) {
      // An access token cannot be recalled: it lives until it expires (docs/security.md).
      res.status(204).end();
    },
    readiness: async () => READY,
    close: async () => {},
  };
}

/**
 * The caller behind a bearer token from any of the trusted issuers. The
 * unverified `iss` only picks which verifier runs; that verifier then checks
 * everything, its own issuer included. A token from any other issuer is refused.
 */
export function bearerCallers(verifiers: AccessTokenVerifier[]): (req: Request) => Promise<Caller> {
  const byIssuer = new Map(verifiers.map((verifier) => [verifier.issuer, verifier]));
  return async (req) => {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) return ANONYMOUS;
    if (token.length > MAX_TOKEN_BYTES) throw new AuthError('TOKEN_INVALID', `token is larger than ${MAX_TOKEN_BYTES} bytes`);
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch (error) {
      throw new AuthError('TOKEN_INVALID', 'token is invalid: not a JWT', { cause: error });
    }
    const verifier = typeof issuer === 'string' ? byIssuer.get(issuer) : undefined;
    if (!verifier) throw new AuthError('TOKEN_INVALID', 'token is invalid: issuer is not trusted');
    return { identity: await verifier.verify(token) };
  };
}
