/** POST /auth/login and POST /auth/logout: a thin adapter over the user directory and the auth mode. */
import express, { Router, type RequestHandler } from 'express';
import { errorBody } from '../shared/errors.js';
import type { GatewayMetrics } from '../shared/metrics.js';
import type { AuthMode } from './auth-mode.js';
import type { UserDirectory } from './users.js';

const MAX_FIELD_LENGTH = 256;

/**
 * `loginLimits`: rate limits in front of the password check (gateway/login-limits.ts).
 * A login's outcome is counted (metrics) and goes on the request's access line
 * (`login`, `user` or `authCode`): never the username or the password.
 */
export function authRoutes(mode: AuthMode, users: UserDirectory, metrics: GatewayMetrics, loginLimits: RequestHandler[] = []): Router {
  const router = Router();
  router.use(express.json({ limit: '4kb' }));

  router.post('/login', ...loginLimits, async (req, res, next) => {
    try {
      const { username, password } = (req.body ?? {}) as Record<string, unknown>;
      if (
        typeof username !== 'string' ||
        typeof password !== 'string' ||
        username.length > MAX_FIELD_LENGTH ||
        password.length > MAX_FIELD_LENGTH
      ) {
        res.status(400).json(errorBody('BAD_REQUEST', 'send JSON {"username": string, "password": string}'));
        return;
      }
      const user = await users.checkPassword(username, password);
      if (!user) {
        metrics.authentication('login', 'refused', 'INVALID_CREDENTIALS');
        if (req.observed) Object.assign(req.observed.fields, { login: 'refused', authCode: 'INVALID_CREDENTIALS' });
        res.status(401).json(errorBody('INVALID_CREDENTIALS', 'unknown user or wrong password'));
        return;
      }
      await mode.login(req, res, user);
      metrics.authentication('login', 'ok');
      if (req.observed) Object.assign(req.observed.fields, { login: 'ok', user: user.identity.id });
    } catch (error) {
      next(error);
    }
  });

  router.post('/logout', async (req, res, next) => {
    try {
      await mode.logout(req, res);
    } catch (error) {
      next(error);
    }
  });

  return router;
}
