/**
 * POST /auth/oidc/backchannel-logout (OpenID Connect Back-Channel Logout
 * 1.0): the provider tells the gateway, server to server, that a user's
 * session there ended. The logout token is checked — the provider's
 * signature (asymmetric algorithms only), `iss`, `aud` (this client), `iat`
 * and `exp`, the back-channel logout event, `sid` or `sub`, no `nonce`, and
 * a `jti` never seen before by any replica — and then every session (session
 * mode) or sign-in (token mode) that provider session led to ends, on every
 * replica: they live in the shared store. Refusals are RFC 6749-style
 * `{"error","error_description"}` with 400, as the specification asks.
 */
import express, { type RequestHandler } from 'express';
import { errors as joseErrors, jwtVerify } from 'jose';
import type { GatewayAuthStrategy } from '../../../shared/auth-modes/contract.js';
import { OAuthError } from '../../../shared/errors.js';
import { CLOCK_SKEW_SECONDS, MAX_TOKEN_BYTES } from '@fedgw/subgraph-kit/token';
import type { Logger } from '../../../shared/observability/logger.js';
import { post, type Route } from '../../../shared/service/app.js';
import type { SharedStore } from '../../../shared/store/contract.js';
import type { OidcProvider } from './provider.js';

const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** Asymmetric only: an HMAC algorithm would let a public key act as a shared secret. */
const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
/** A logout token older than this is refused (its jti is remembered this long). */
const MAX_AGE_SECONDS = 600;

export interface BackchannelParts {
  provider: OidcProvider;
  strategy: GatewayAuthStrategy;
  store: SharedStore;
  logger: Logger;
}

export function backchannelLogoutRoute(parts: BackchannelParts): Route {
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 5 });
  const handler: RequestHandler = async (req, res) => {
    res.set('Cache-Control', 'no-store');
    try {
      const token = (req.body as Record<string, unknown> | undefined)?.logout_token;
      if (typeof token !== 'string' || token.length > MAX_TOKEN_BYTES) throw new OAuthError('invalid_request', 'logout_token is required');
      const ref = await verifyLogoutToken(parts, token);
      const ended = await parts.strategy.endProviderSignIns(ref);
      parts.logger.info('back-channel logout', { ended });
      res.status(200).end();
    } catch (error) {
      const refusal = error instanceof OAuthError ? error : new OAuthError('invalid_request', 'the logout token could not be processed');
      if (!(error instanceof OAuthError)) parts.logger.warn(`back-channel logout: ${(error as Error).message}`);
      res.status(400).json(refusal.body());
    }
  };
  return post('/auth/oidc/backchannel-logout', form, handler);
}

async function verifyLogoutToken({ provider, store }: BackchannelParts, token: string): Promise<{ sid?: string; sub?: string }> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, await provider.keys(), {
      issuer: await provider.discoveredIssuer(),
      audience: provider.settings.clientId,
      algorithms: ALGORITHMS,
      requiredClaims: ['iat', 'exp', 'jti', 'events'],
      maxTokenAge: MAX_AGE_SECONDS,
      clockTolerance: CLOCK_SKEW_SECONDS,
    }));
  } catch (error) {
    const reason = error instanceof joseErrors.JWTClaimValidationFailed ? `${error.claim} claim check failed` : 'signature or format check failed';
    throw new OAuthError('invalid_request', `the logout token is invalid: ${reason}`);
  }
  const events = payload.events as Record<string, unknown> | undefined;
  if (typeof events !== 'object' || events === null || typeof events[LOGOUT_EVENT] !== 'object') throw new OAuthError('invalid_request', 'the logout token carries no back-channel logout event');
  if (payload.nonce !== undefined) throw new OAuthError('invalid_request', 'a logout token must not carry a nonce');
  const sid = typeof payload.sid === 'string' ? payload.sid : undefined;
  const sub = typeof payload.sub === 'string' ? payload.sub : undefined;
  if (!sid && !sub) throw new OAuthError('invalid_request', 'the logout token names neither sid nor sub');
  // A logout token is used once, on whichever replica gets it first.
  if (!(await store.tickets.claim(`oidc-logout-jti:${String(payload.jti)}`, Date.now() + MAX_AGE_SECONDS * 2000))) {
    throw new OAuthError('invalid_request', 'this logout token was already used');
  }
  return { ...(sid ? { sid } : {}), ...(sub ? { sub } : {}) };
}
