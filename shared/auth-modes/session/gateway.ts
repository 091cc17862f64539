/**
 * Session mode, the gateway's end: an express-session session in the shared
 * store; its id travels to each subgraph in X-Session-Id, and nothing else.
 */
import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import session from 'express-session';
import { isLive, newSessionAuth, SESSION_ID_HEADER } from '@fedgw/subgraph-kit/session';
import type { GatewayConfig } from '../../config/gateway.js';
import { shortHash, type Logger } from '../../observability/logger.js';
import { ANONYMOUS, type Caller, type GatewayAuthStrategy, type GatewayModeContext, type IdentityPropagation } from '../contract.js';
import { indexProviderSignIn, takeProviderSignIns } from '../provider-sign-ins.js';
import { storedProviderSignIn } from './provider-tokens.js';
import { renewedSession, renewSessions, withoutTouch } from './renewal.js';

/** A project-specific cookie name: `connect.sid` would tell an attacker what runs here. */
export const SESSION_COOKIE = 'fedgw.sid';

export async function sessionGateway({ config, logger, store }: GatewayModeContext): Promise<GatewayAuthStrategy> {
  const cookie = sessionCookie(config);
  const secret = sessionSecret(config, logger);
  const middleware = session({
    name: SESSION_COOKIE,
    secret,
    // Without touch: the store's expiry is renewed, throttled, before the request (renewal.ts).
    store: withoutTouch(store.sessions),
    resave: false,
    saveUninitialized: false,
    // The idle timeout: every response pushes the cookie's expiry forward.
    rolling: true,
    cookie: { ...cookie, maxAge: config.sessionIdleTimeoutSeconds * 1000 },
  });
  return {
    async authenticate(req, cost) {
      // express-session read the store once for a request that carried its cookie.
      if (req.session?.auth) cost.storeReads++;
      if (renewedSession(req)) cost.storeWrites++;
      return sessionCaller(req);
    },
    propagation: sessionPropagation,
    middleware: [middleware, renewSessions(config.sessionIdleTimeoutSeconds)],
    async signIn(req, _res, user, origin) {
      // A new id at login: a session id planted before login is never the authenticated one.
      await promised((done) => req.session.regenerate(done));
      req.session.auth = newSessionAuth(user, config.sessionMaxAgeSeconds);
      // The provider's tokens stay here, on the server, sealed: never in the browser, unreadable to subgraphs.
      if (origin) req.session.provider = storedProviderSignIn(origin, secret);
      await promised((done) => req.session.save(done));
      if (origin) await indexProviderSignIn(store, origin, req.sessionID, req.session.auth.absoluteExpiresAt);
      return { body: { user: { id: user.identity.id, username: user.username, name: user.name, scopes: user.identity.scopes } }, carriesTokens: false };
    },
    async signOut(req, res) {
      const viaProvider = req.session?.provider !== undefined;
      // Destroyed in the store: every subgraph sees the caller as anonymous from now on.
      if (req.session) await promised((done) => req.session.destroy(done));
      res.clearCookie(SESSION_COOKIE, cookie);
      return { viaProvider };
    },
    async endProviderSignIns(ref) {
      const ids = await takeProviderSignIns(store, ref);
      for (const id of ids) await promised((done) => store.sessions.destroy(id, done));
      return ids.length;
    },
    readiness: () => store.ping(),
    // The gateway closes the store it opened.
    close: async () => {},
  };
}

function sessionCookie(config: GatewayConfig) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    // Behind a TLS-terminating proxy, Secure cookies need TRUST_PROXY (docs/operations.md).
    secure: config.production,
    path: '/',
  };
}

function sessionSecret(config: GatewayConfig, logger: Logger): string {
  if (config.sessionSecret !== undefined) return config.sessionSecret;
  logger.warn('SESSION_SECRET is not set: using a random secret for this process (sessions end when it restarts; set it for several gateways)');
  return randomBytes(32).toString('base64url');
}

/**
 * The caller is whoever the session (already loaded by express-session)
 * says. A session past its absolute lifetime is destroyed here.
 */
async function sessionCaller(req: Request): Promise<Caller> {
  const auth = req.session?.auth;
  if (!auth) return ANONYMOUS;
  if (!isLive(auth)) {
    await promised((done) => req.session.destroy(done));
    return ANONYMOUS;
  }
  return { identity: auth.identity, sessionId: req.sessionID };
}

/** Only the session id travels; an anonymous caller sends nothing. The trace sees only its hash. */
const sessionPropagation: IdentityPropagation = {
  async headersFor(_subgraph, caller, _cost, trace): Promise<Record<string, string>> {
    if (!caller.sessionId) return {};
    trace?.carried({ via: 'session-id', session: shortHash(caller.sessionId) });
    return { [SESSION_ID_HEADER]: caller.sessionId };
  },
};

function promised(fn: (callback: (error?: unknown) => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => fn((error) => (error ? reject(error) : resolve())));
}
