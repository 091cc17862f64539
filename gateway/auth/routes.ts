/** POST /auth/login, /auth/logout and /auth/token: a thin adapter over the user directory and the auth mode's strategy. */
import express, { type RequestHandler } from 'express';
import type { GatewayAuthStrategy } from '../../shared/auth-modes/contract.js';
import { errorBody } from '../../shared/errors.js';
import { post, type Route } from '../../shared/service/app.js';
import type { Logger } from '../../shared/observability/logger.js';
import { tokenEndpoint } from './token-endpoint.js';
import type { UserDirectory } from './users.js';

const MAX_FIELD_LENGTH = 256;

/**
 * `loginLimits`: rate limits in front of the password check (login-limits.ts).
 * A login's outcome goes on the request's record (counted, and on the access
 * line as `login`, `user` or `authCode`): never the username or the password.
 */
export function authRoutes(
  strategy: GatewayAuthStrategy,
  users: UserDirectory,
  logger: Logger,
  loginLimits: RequestHandler[] = [],
  /** RP-initiated logout at the OpenID Connect provider, when it offers one. */
  endSessionUrl?: () => Promise<string | undefined>,
): Route[] {
  const json = express.json({ limit: '4kb' });
  // From here on, whatever refuses this request (a limit, a store outage) is a refused login.
  const loginAttempt: RequestHandler = (req, _res, next) => {
    req.observed?.loginAttempt();
    next();
  };
  const login: RequestHandler = async (req, res, next) => {
    try {
      const { username, password } = (req.body ?? {}) as Record<string, unknown>;
      if (typeof username !== 'string' || typeof password !== 'string' || username.length > MAX_FIELD_LENGTH || password.length > MAX_FIELD_LENGTH) {
        res.status(400).json(errorBody('BAD_REQUEST', 'send JSON {"username": string, "password": string}'));
        return;
      }
      const user = await users.checkPassword(username, password);
      if (!user) {
        req.observed?.loginRefused('INVALID_CREDENTIALS');
        res.status(401).json(errorBody('INVALID_CREDENTIALS', 'unknown user or wrong password'));
        return;
      }
      const answer = await strategy.signIn(req, res, user);
      req.observed?.signedIn(user.identity);
      res.set('Cache-Control', 'no-store').json(answer.body);
    } catch (error) {
      next(error);
    }
  };
  const logout: RequestHandler = async (req, res, next) => {
    try {
      const { viaProvider } = await strategy.signOut(req, res);
      // Signed in through the provider: the page also ends the provider's session there, if it offers that.
      const url = viaProvider ? await endSessionUrl?.() : undefined;
      if (url) res.set('Cache-Control', 'no-store').json({ end_session_url: url });
      else res.status(204).end();
    } catch (error) {
      next(error);
    }
  };
  return [post('/auth/login', json, loginAttempt, ...loginLimits, login), post('/auth/logout', json, logout), post('/auth/token', ...tokenEndpoint(strategy, logger))];
}
