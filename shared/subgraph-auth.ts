/**
 * The subgraph side of identity propagation: one function turns an incoming
 * request into `context.identity`, whichever mode carried it. Subgraph code
 * never looks at headers itself.
 */
import type { IncomingMessage } from 'node:http';
import type { SubgraphCost } from './auth-cost.js';
import type { SubgraphConfig } from './config.js';
import { AuthError } from './errors.js';
import type { Identity } from './identity.js';
import { createIdentityTokenVerifier } from './identity-token.js';
import { bearerToken, remoteKeys } from './jwt.js';
import { createSessionStore, type SessionStoreObserver } from './session-store.js';
import { verifiedIdentities } from './verified-token-cache.js';

export type { SubgraphCost } from './auth-cost.js';

export interface SubgraphAuthenticator {
  /**
   * The caller's identity, null when anonymous; throws AuthError to refuse
   * the request. Adds what it did to `cost`.
   */
  identify(req: IncomingMessage, cost: SubgraphCost): Promise<Identity | null>;
  /** Whatever the mode depends on (session mode: the store) answers. */
  readiness(): Promise<{ ok: boolean; detail?: string }>;
  close(): Promise<void>;
}

export const SESSION_ID_HEADER = 'x-session-id';

export interface SubgraphAuthenticatorOptions {
  /** Session mode: told of every store call (metrics). */
  storeObserver?: SessionStoreObserver;
}

export async function createSubgraphAuthenticator(config: SubgraphConfig, options: SubgraphAuthenticatorOptions = {}): Promise<SubgraphAuthenticator> {
  switch (config.authMode) {
    case 'token':
      return tokenAuthenticator(config);
    case 'session':
      return sessionAuthenticator(config, options);
  }
}

function tokenAuthenticator(config: SubgraphConfig): SubgraphAuthenticator {
  const verify = createIdentityTokenVerifier({
    // A new gateway key (rotation) is picked up at most 5 s after its first token.
    keys: remoteKeys(config.gatewayJwksUrl, { cooldownMs: 5000 }),
    issuer: config.gatewayIssuer,
    audience: config.name,
  });
  // The gateway reuses a token per (identity, subgraph) for most of its
  // lifetime: check each signature once, then answer from memory until `exp`.
  const verified = verifiedIdentities(verify);
  return {
    async identify(req, cost) {
      const token = bearerToken(req.headers.authorization);
      if (token === undefined) {
        // Only the gateway may call a subgraph, and it always sends a token.
        throw new AuthError('TOKEN_MISSING', 'this subgraph accepts only requests from the gateway');
      }
      const cached = verified.get(token);
      if (cached) {
        cost.verifyCacheHits++;
        return cached;
      }
      cost.tokensVerified++;
      return verified.verify(token);
    },
    readiness: async () => ({ ok: true }),
    async close() {},
  };
}

/** express-session ids are base64url-ish; anything else is not worth a store read. */
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

async function sessionAuthenticator(config: SubgraphConfig, options: SubgraphAuthenticatorOptions): Promise<SubgraphAuthenticator> {
  const sessions = await createSessionStore(config.sessionStore, { observer: options.storeObserver });
  return {
    async identify(req, cost) {
      const sid = req.headers[SESSION_ID_HEADER];
      if (typeof sid !== 'string' || !SESSION_ID_PATTERN.test(sid)) return null;
      cost.storeReads++;
      // Read only: a subgraph never writes or touches the session.
      const auth = (await sessions.get(sid))?.auth;
      // Unknown, expired, destroyed, or past its absolute lifetime: anonymous.
      if (!auth || auth.absoluteExpiresAt <= Date.now()) return null;
      return auth.identity;
    },
    readiness: () => sessions.ping(),
    close: () => sessions.close(),
  };
}
