/**
 * The gateway's two auth modes, assembled from small parts. This is the only
 * place the gateway branches on AUTH_MODE: everything else talks to the
 * narrow interfaces returned here.
 */
import { randomBytes } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import type { GatewayConfig } from '../shared/config.js';
import type { Identity } from '../shared/identity.js';
import { mintAccessToken } from './access-token.js';
import { createSessionStore } from '../shared/session-store.js';
import { bearerAuthenticator, gatewayAccessTokens, sessionAuthenticator, type Caller, type ClientAuthenticator } from './client-auth.js';
import { oidcAccessTokens } from './oidc.js';
import type { Logger } from './logger.js';
import type { GatewayMetrics } from '../shared/metrics.js';
import { sessionPropagation, tokenPropagation, type IdentityPropagation } from './propagation.js';
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

export async function createAuthMode(config: GatewayConfig, keys: SigningKeys, logger: Logger, metrics?: GatewayMetrics): Promise<AuthMode> {
  switch (config.authMode) {
    case 'token':
      return tokenMode(config, keys, metrics);
    case 'session':
      return sessionMode(config, logger, metrics);
  }
}

function tokenMode(config: GatewayConfig, keys: SigningKeys, metrics?: GatewayMetrics): AuthMode {
  return {
    name: 'token',
    clientAuth: bearerAuthenticator([
      gatewayAccessTokens(keys.verificationKeys, config.gatewayIssuer),
      ...(config.oidc ? [oidcAccessTokens(config.oidc)] : []),
    ]),
    propagation: tokenPropagation({
      key: keys.current,
      issuer: config.gatewayIssuer,
      ttlSeconds: config.identityTokenTtlSeconds,
      observer: metrics,
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

/** A project-specific cookie name: `connect.sid` would tell an attacker what runs here. */
export const SESSION_COOKIE = 'fedgw.sid';

async function sessionMode(config: GatewayConfig, logger: Logger, metrics?: GatewayMetrics): Promise<AuthMode> {
  const sessions = await createSessionStore(config.sessionStore, {
    defaultTtlSeconds: config.sessionIdleTimeoutSeconds,
    observer: metrics?.sessionStore,
  });
  let secret = config.sessionSecret;
  if (secret === undefined) {
    secret = randomBytes(32).toString('base64url');
    logger.warn('SESSION_SECRET is not set: using a random secret for this process (sessions end when it restarts; set it for several gateways)');
  }
  const cookie = {
    httpOnly: true,
    sameSite: 'lax' as const,
    // Behind a TLS-terminating proxy, Secure cookies need TRUST_PROXY (README).
    secure: config.production,
    path: '/',
  };
  const middleware = session({
    name: SESSION_COOKIE,
    secret,
    store: sessions.store,
    resave: false,
    saveUninitialized: false,
    // The idle timeout: every response pushes the expiry forward.
    rolling: true,
    cookie: { ...cookie, maxAge: config.sessionIdleTimeoutSeconds * 1000 },
  });
  const call = (fn: (callback: (error?: unknown) => void) => void) =>
    new Promise<void>((resolve, reject) => fn((error) => (error ? reject(error) : resolve())));

  return {
    name: 'session',
    clientAuth: sessionAuthenticator(),
    propagation: sessionPropagation(),
    gatewayCaller: { identity: gatewayIdentity(config) },
    middleware: [middleware],
    async login(req, res, user) {
      // A new id at login: a session id planted before login is never the authenticated one.
      await call((done) => req.session.regenerate(done));
      const now = Date.now();
      req.session.auth = {
        identity: user.identity,
        username: user.username,
        name: user.name,
        createdAt: now,
        absoluteExpiresAt: now + config.sessionMaxAgeSeconds * 1000,
      };
      await call((done) => req.session.save(done));
      res.set('Cache-Control', 'no-store').json({
        user: { id: user.identity.id, username: user.username, name: user.name, scopes: user.identity.scopes },
      });
    },
    async logout(req, res) {
      // Destroyed in the store: every subgraph sees the caller as anonymous from now on.
      if (req.session) await call((done) => req.session.destroy(done));
      res.clearCookie(SESSION_COOKIE, cookie).status(204).end();
    },
    readiness: () => sessions.ping(),
    close: () => sessions.close(),
  };
}
