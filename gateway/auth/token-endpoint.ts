/**
 * POST /auth/token: the OAuth 2.0 token endpoint (RFC 6749 §3.2). The body
 * is form-encoded; `grant_type` picks one of the grants the auth mode
 * answers (token mode: refresh_token). Every answer is `Cache-Control:
 * no-store`, and every refusal is RFC 6749 §5.2's `{"error",
 * "error_description"}` with its status — a body it cannot parse and a
 * store outage included.
 */
import express, { type RequestHandler } from 'express';
import { AuthError } from '@fedgw/subgraph-kit';
import type { GatewayAuthStrategy } from '../../shared/auth-modes/contract.js';
import { OAuthError } from '../../shared/errors.js';
import type { Logger } from '../../shared/observability/logger.js';

const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });

export function tokenEndpoint(strategy: GatewayAuthStrategy, logger: Logger): RequestHandler[] {
  const parse: RequestHandler = (req, res, next) => {
    res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    if (!req.is('application/x-www-form-urlencoded')) return refuse(req, res, new OAuthError('invalid_request', 'send the parameters form-encoded (application/x-www-form-urlencoded)'));
    form(req, res, (error?: unknown) => (error ? refuse(req, res, new OAuthError('invalid_request', 'the body is not a form this endpoint can read')) : next()));
  };
  const answer: RequestHandler = async (req, res) => {
    try {
      const params = single(req.body as Record<string, unknown>);
      const grantType = params.grant_type;
      if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required');
      const grant = strategy.grants?.[grantType];
      if (!grant) throw new OAuthError('unsupported_grant_type', `grant_type ${JSON.stringify(grantType)} is not supported here`);
      const response = await grant(params, req);
      req.observed?.granted(grantType);
      res.json(response);
    } catch (error) {
      refuse(req, res, toOAuthError(error, logger));
    }
  };
  return [parse, answer];
}

/** Every parameter exactly once (RFC 6749 §3.2: a repeated one is invalid_request). */
function single(body: Record<string, unknown>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(body ?? {})) {
    if (typeof value !== 'string') throw new OAuthError('invalid_request', `${name} is given more than once`);
    params[name] = value;
  }
  return params;
}

function toOAuthError(error: unknown, logger: Logger): OAuthError {
  if (error instanceof OAuthError) return error;
  if (error instanceof AuthError && error.code === 'SESSION_STORE_UNAVAILABLE') return new OAuthError('temporarily_unavailable', 'the shared store is unavailable; try again shortly');
  logger.error(`token endpoint: ${(error as Error)?.stack ?? String(error)}`);
  return new OAuthError('server_error', 'internal error');
}

function refuse(req: express.Request, res: express.Response, error: OAuthError): void {
  const grantType = typeof (req.body as Record<string, unknown> | undefined)?.grant_type === 'string' ? String((req.body as Record<string, unknown>).grant_type) : 'none';
  req.observed?.grantRefused(grantType, error.code);
  res.status(error.status).json(error.body());
}
