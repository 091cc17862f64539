/**
 * Access tokens from an external OpenID Connect provider (OIDC_ISSUER,
 * OIDC_AUDIENCE, OIDC_JWKS_URL), so a deployment can log users in with its
 * own identity provider. Its keys come from its JWKS (cached; an unknown
 * `kid` refetches after a cool-down); its tokens are held to the same rules
 * as ours, with the algorithm allow-list providers actually use.
 */
import { AuthError, parseScopes, userIdentity } from '@fedgw/subgraph-kit';
import { remoteKeys, verifyJwt } from '@fedgw/subgraph-kit/token';
import type { OidcAccessTokensConfig } from '../../config/oidc.js';
import type { AccessTokenVerifier } from './access-token.js';

/** Asymmetric only: an HMAC algorithm would let a public key act as a shared secret. */
export const OIDC_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
/** RFC 9068 says `at+jwt`; many providers send `JWT` or nothing. */
const OIDC_TYPES = ['at+jwt', 'jwt', ''];

export function externalAccessTokens(issuer: string, config: OidcAccessTokensConfig): AccessTokenVerifier {
  const keys = remoteKeys(config.jwksUrl, { cooldownMs: config.jwksCooldownSeconds * 1000 });
  return {
    issuer,
    async verify(token) {
      const payload = await verifyJwt(token, keys, {
        typ: OIDC_TYPES,
        issuer,
        audience: config.audience,
        requiredClaims: ['sub'],
        algorithms: OIDC_ALGORITHMS,
      });
      if (typeof payload.sub !== 'string' || payload.sub === '') {
        throw new AuthError('TOKEN_INVALID', 'token is invalid: sub claim check failed');
      }
      // `scope` (RFC 8693, a string) or `scp` (a list, as some providers send it).
      const scopes = Array.isArray(payload.scp) ? payload.scp.filter((s): s is string => typeof s === 'string') : parseScopes(payload.scope);
      // A jti lets a logout at this gateway refuse the token from then on (the provider is not told).
      return { identity: userIdentity(payload.sub, scopes), ...(typeof payload.jti === 'string' ? { jti: payload.jti } : {}), expiresAt: payload.exp! * 1000 };
    },
  };
}
