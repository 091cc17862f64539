/**
 * Signing in through the provider: the authorization code flow with PKCE
 * (OpenID Connect Core; RFC 7636), the gateway as the browser's backend.
 *
 *   GET  /auth/oidc/login[?return_to=/path]  → the provider, with state, nonce and a PKCE challenge kept server-side
 *   GET  /auth/oidc/callback                 → checks state, iss (RFC 9207), the code (with the PKCE verifier) and
 *                                             the ID token (signature, issuer, audience, expiry, nonce); signs in; → return_to
 *   POST /auth/oidc/ticket                   → token mode: the tokens, once, for the page the callback returned to
 *
 * The sign-in in progress lives in the shared store under a random id that
 * only this browser holds (an HttpOnly cookie scoped to the callback), so a
 * callback from another browser — or a second one — finds nothing. In token
 * mode the callback never puts a token in a URL: it leaves a one-time ticket
 * (HttpOnly, SameSite=Strict, 60 s) that the page exchanges for its tokens.
 */
import { randomBytes } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import * as client from 'openid-client';
import type { GatewayAuthStrategy } from '../../../shared/auth-modes/contract.js';
import type { GatewayConfig } from '../../../shared/config/gateway.js';
import { errorBody, PublicError } from '../../../shared/errors.js';
import type { SharedStore } from '../../../shared/store/contract.js';
import { get, post, type Route } from '../../../shared/service/app.js';
import { signedInUser } from './claims.js';
import type { OidcProvider } from './provider.js';
import { safeReturnTo } from './return-to.js';

const LOGIN_COOKIE = 'fedgw.oidc';
const TICKET_COOKIE = 'fedgw.ticket';
const LOGIN_TTL_MS = 10 * 60_000;
const TICKET_TTL_MS = 60_000;

interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
}

export interface SignInParts {
  config: GatewayConfig;
  provider: OidcProvider;
  strategy: GatewayAuthStrategy;
  store: SharedStore;
}

export function signInRoutes(parts: SignInParts): Route[] {
  return [get('/auth/oidc/login', handled(login(parts))), get('/auth/oidc/callback', handled(callback(parts))), post('/auth/oidc/ticket', handled(ticket(parts)))];
}

function login({ config, provider, store }: SignInParts) {
  return async (req: Request, res: Response) => {
    const pending: PendingSignIn = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier(), returnTo: safeReturnTo(req.query.return_to) };
    const url = client.buildAuthorizationUrl(await provider.config(), {
      redirect_uri: provider.settings.redirectUri,
      scope: provider.settings.scopes,
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
    });
    const id = randomBytes(32).toString('base64url');
    await store.tickets.put(`oidc-login:${id}`, pending, Date.now() + LOGIN_TTL_MS);
    // Lax, not Strict: the provider's redirect back is a cross-site navigation, and it must carry this cookie.
    res.cookie(LOGIN_COOKIE, id, { ...cookieBase(config), sameSite: 'lax', path: '/auth/oidc/callback', maxAge: LOGIN_TTL_MS });
    res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' }).redirect(303, url.href);
  };
}

function callback({ config, provider, strategy, store }: SignInParts) {
  return async (req: Request, res: Response) => {
    res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
    res.clearCookie(LOGIN_COOKIE, { ...cookieBase(config), sameSite: 'lax', path: '/auth/oidc/callback' });
    const id = readCookie(req, LOGIN_COOKIE);
    const pending = id ? await store.tickets.take<PendingSignIn>(`oidc-login:${id}`) : null;
    if (!pending || req.query.state !== pending.state) throw new PublicError('OIDC_STATE_INVALID', 'this sign-in is unknown, already finished or expired: start again');
    if (typeof req.query.error === 'string') throw new PublicError('OIDC_PROVIDER_ERROR', `the identity provider answered ${JSON.stringify(req.query.error)}`);
    if (req.query.iss !== undefined && req.query.iss !== (await provider.discoveredIssuer())) throw new PublicError('OIDC_ISSUER_MISMATCH', 'the response names another issuer than the configured provider');
    const claims = await redeem(provider, req, pending);
    const user = signedInUser(claims.values, provider.settings.scopesClaim);
    const answer = await strategy.signIn(req, res, user, { sub: user.identity.id, ...(claims.sid ? { sid: claims.sid } : {}), tokens: claims.tokens });
    req.observed?.signedIn(user.identity);
    if (answer.carriesTokens) {
      const ticketId = randomBytes(32).toString('base64url');
      await store.tickets.put(`oidc-ticket:${ticketId}`, answer.body, Date.now() + TICKET_TTL_MS);
      res.cookie(TICKET_COOKIE, ticketId, { ...cookieBase(config), sameSite: 'strict', path: '/auth/oidc/ticket', maxAge: TICKET_TTL_MS });
    }
    res.redirect(303, pending.returnTo);
  };
}

/** The code for tokens at the provider (openid-client checks state, iss, PKCE and the ID token), then userinfo. */
async function redeem(provider: OidcProvider, req: Request, pending: PendingSignIn) {
  const config = await provider.config();
  const currentUrl = new URL(req.originalUrl, provider.settings.redirectUri);
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    tokens = await client.authorizationCodeGrant(config, currentUrl, { pkceCodeVerifier: pending.codeVerifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true });
  } catch (error) {
    throw codeGrantError(error);
  }
  const idToken = tokens.claims()!;
  let values: Record<string, unknown> = { ...idToken };
  if (config.serverMetadata().userinfo_endpoint) {
    const info = await client.fetchUserInfo(config, tokens.access_token, idToken.sub).catch(() => undefined);
    if (info) values = { ...info, ...idToken, ...pick(info, provider.settings.scopesClaim.split('.')[0], provider.settings.scopesClaim, 'name', 'preferred_username', 'email') };
  }
  return {
    values,
    sid: typeof idToken.sid === 'string' ? idToken.sid : undefined,
    tokens: { idToken: tokens.id_token, accessToken: tokens.access_token, ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}) },
  };
}

function pick(values: Record<string, unknown>, ...names: string[]): Record<string, unknown> {
  return Object.fromEntries(names.filter((name) => values[name] !== undefined).map((name) => [name, values[name]]));
}

/** The provider refused the code (its token endpoint's error), or the answer failed a check (the ID token's). */
function codeGrantError(error: unknown): PublicError {
  if (error instanceof client.ResponseBodyError) return new PublicError('OIDC_GRANT_REJECTED', `the identity provider refused the code: ${error.error}`, { cause: error });
  if (error instanceof client.AuthorizationResponseError) return new PublicError('OIDC_PROVIDER_ERROR', `the identity provider answered ${error.error}`, { cause: error });
  if (error instanceof TypeError || (error as { code?: string })?.code === 'OAUTH_TIMEOUT') {
    return new PublicError('OIDC_PROVIDER_UNAVAILABLE', 'the identity provider cannot be reached; try again shortly', { cause: error });
  }
  return new PublicError('OIDC_ID_TOKEN_INVALID', 'the identity provider\'s answer failed a check', { cause: error });
}

function ticket({ config, store }: SignInParts) {
  return async (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store').clearCookie(TICKET_COOKIE, { ...cookieBase(config), sameSite: 'strict', path: '/auth/oidc/ticket' });
    const id = readCookie(req, TICKET_COOKIE);
    const tokens = id ? await store.tickets.take(`oidc-ticket:${id}`) : null;
    if (!tokens) throw new PublicError('TICKET_INVALID', 'no sign-in ticket with this request (it is used once, within a minute)');
    res.json(tokens);
  };
}

function cookieBase(config: GatewayConfig) {
  return { httpOnly: true, secure: config.production };
}

/** One cookie's value from the request (express-session reads its own; nothing else here needs a parser). */
export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return decodeURIComponent(part.slice(index + 1).trim());
  }
  return undefined;
}

/** A refusal here is a JSON error with its code, on the request's record as a refused login. */
function handled(handler: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return async (req, res, next) => {
    try {
      await handler(req, res);
    } catch (error) {
      if (!(error instanceof PublicError)) return next(error);
      req.observed?.loginRefused(error.code);
      res.status(error.status).json(errorBody(error.code, error.message));
    }
  };
}
