/**
 * Rate limits of POST /auth/login (express-rate-limit), against password
 * guessing and scrypt floods:
 *
 * - per client IP (`req.ip`: set TRUST_PROXY behind a proxy, or every client
 *   shares the proxy's address): every attempt counts, successful or not;
 * - per username (normalised: NFKC, lower case), from any IP: only failed
 *   attempts count, so a user who logs in often is never locked out by it.
 *
 * Over a limit: `429 {"error":{"code":"RATE_LIMITED"}}` with `Retry-After`
 * (seconds), the same for a known and an unknown username. The counters live
 * in the shared store (SHARED_STORE), so every replica counts the same
 * attempts (keys under a prefix derived from GATEWAY_ISSUER, which the
 * replicas of one deployment share). With the store unreachable a login is a
 * 503 SESSION_STORE_UNAVAILABLE (it could not sign anyone in either).
 */
import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { rateLimit, type Options, type RateLimitInfo, type Store } from 'express-rate-limit';
import { AuthError } from '@fedgw/subgraph-kit';
import type { GatewayConfig } from '../../shared/config/gateway.js';
import { errorBody } from '../../shared/errors.js';
import type { Logger } from '../../shared/observability/logger.js';
import type { SharedStore } from '../../shared/store/contract.js';

/**
 * For POST /auth/login, after its JSON body parser (the username comes from
 * the body). Each refused attempt goes on the request's record (counted, and
 * on its access line).
 */
export function loginLimits(config: GatewayConfig, store: SharedStore, logger: Logger): RequestHandler[] {
  const { windowSeconds, perIp, perUsername } = config.hardening.loginRateLimit;
  const prefix = `fag:rl:${createHash('sha256').update(config.gatewayIssuer).digest('base64url').slice(0, 16)}:`;
  const ipStore = store.counters(`${prefix}ip:`);
  const usernameStore = store.counters(`${prefix}user:`);

  const common = (kind: 'ip' | 'username', store: Store): Partial<Options> => ({
    windowMs: windowSeconds * 1000,
    store,
    requestPropertyName: `loginRateLimit_${kind}`,
    // Neither RateLimit-* nor X-RateLimit-* headers: a guesser learns only Retry-After, once refused.
    standardHeaders: false,
    legacyHeaders: false,
    logger: {
      error: (error, message) => logger.warn(`login rate limit: ${message ?? ''} ${String(error)}`),
      warn: (error, message) => logger.warn(`login rate limit: ${message ?? ''} ${String(error)}`),
    },
    handler: (req, res) => {
      const info = (req as Request & Record<string, RateLimitInfo | undefined>)[`loginRateLimit_${kind}`];
      const seconds = info?.resetTime ? Math.ceil((info.resetTime.getTime() - Date.now()) / 1000) : windowSeconds;
      req.observed?.loginRefused('RATE_LIMITED', kind);
      res
        .status(429)
        .set('Retry-After', String(Math.max(1, seconds)))
        .json(errorBody('RATE_LIMITED', 'too many login attempts; try again after Retry-After seconds'));
    },
  });

  const byIp = rateLimit({ ...common('ip', ipStore), limit: perIp });
  const byUsername = rateLimit({
    ...common('username', usernameStore),
    limit: perUsername,
    skip: (req) => typeof usernameOf(req) !== 'string',
    keyGenerator: (req) => createHash('sha256').update(normaliseUsername(usernameOf(req) as string)).digest('base64url'),
    // Only failed attempts count (a 2xx answer takes its count back).
    skipSuccessfulRequests: true,
  });

  // A store failure (Redis down) is an answer with a code, not a 500.
  const storeFailure = (limiter: RequestHandler): RequestHandler => (req, res, next) =>
    limiter(req, res, (error?: unknown) =>
      next(error === undefined ? undefined : new AuthError('SESSION_STORE_UNAVAILABLE', 'the login rate-limit store is unavailable', { cause: error })),
    );

  return [storeFailure(byIp), storeFailure(byUsername)];
}

function usernameOf(req: Request): unknown {
  return (req.body as { username?: unknown } | undefined)?.username;
}

export function normaliseUsername(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}
