/**
 * Express, or any Node server with `(req, res, next)` middleware: puts the
 * caller on `req.identity` (null for anonymous) and calls `next()`; a
 * refusal is answered at once as an HTTP error with its code, in the
 * gateway's JSON error format `{"error":{"code","message"}}`.
 *
 *   const kit = await createSubgraphKit(configFromEnv({ name: 'inventory' }));
 *   app.use('/graphql', identityMiddleware(kit), yourGraphQLHandler);   // resolvers read req.identity
 *
 * Plain Node: `identityMiddleware(kit)(req, res, () => handle(req, res))`.
 *
 * With request binding on (REQUEST_BINDING), the request proof covers the
 * body: put a body parser before this middleware (`express.json()`, or one
 * that keeps the bytes in `req.rawBody`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AUTH_COST_HEADER, emptySubgraphCost, formatSubgraphCost } from '../auth-cost.js';
import { AuthError } from '../errors.js';
import type { Identity } from '../identity.js';
import type { IdentitySource } from '../kit.js';
import { nodeRequest } from '../request-proof.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The caller, set by @fedgw/subgraph-kit's identityMiddleware; null when anonymous. */
      identity?: Identity | null;
    }
  }
}

/** A request once the middleware has run. */
export type IdentifiedRequest<Req extends IncomingMessage = IncomingMessage> = Req & { identity: Identity | null };

export interface IdentityMiddlewareOptions {
  /** Told of each refusal before it is answered (logs, metrics). */
  onRefused?: (error: AuthError, req: IncomingMessage) => void;
}

export function identityMiddleware(kit: IdentitySource, options: IdentityMiddlewareOptions = {}) {
  return (req: IncomingMessage & { identity?: Identity | null }, res: ServerResponse, next: (error?: unknown) => void): void => {
    const cost = emptySubgraphCost();
    const reportCost = () => {
      if (kit.reportsCost && !res.headersSent) res.setHeader(AUTH_COST_HEADER, formatSubgraphCost(cost));
    };
    kit.identify(req.headers, cost, kit.requestBinding ? nodeRequest(req) : undefined).then(
      (identity) => {
        reportCost();
        req.identity = identity;
        next();
      },
      (error: unknown) => {
        reportCost();
        if (!(error instanceof AuthError)) return next(error);
        options.onRefused?.(error, req);
        res.statusCode = error.status;
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(JSON.stringify({ error: { code: error.code, message: error.message } }));
      },
    );
  };
}
