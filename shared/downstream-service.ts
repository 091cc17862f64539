/**
 * Runs one downstream service of this repository: a plain HTTP/JSON service
 * (not GraphQL) that subgraphs call on their caller's behalf. The caller —
 * and, in token mode, the chain of services acting for them — comes from
 * the subgraph kit's downstream end (@fedgw/subgraph-kit, createDownstreamKit):
 * a downstream token the gateway exchanged for this service, or the session
 * id read from the shared store. A request without a caller never reaches a
 * route. Served on the shared service skeleton (/healthz, /readyz, /metrics,
 * one access line per request with the actor chain, never a token).
 */
import type { Request, RequestHandler, Response } from 'express';
import { AUTH_COST_HEADER, AuthError, createDownstreamKit, emptySubgraphCost, formatSubgraphCost, type DownstreamCaller, type DownstreamKit } from '@fedgw/subgraph-kit';
import { runMain } from './config/env.js';
import { loadDownstreamConfig, type DownstreamConfig } from './config/downstream.js';
import { errorBody } from './errors.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createSubgraphMetrics } from './observability/metrics.js';
import { kitServiceOptions, serviceApp, type Route } from './service/app.js';
import { listen, releasing, type RunningServer } from './service/http.js';
import { stopOnExitSignals } from './service/lifecycle.js';

/** What a route answers: a status and a JSON body. */
export interface Answer {
  status: number;
  body: unknown;
}

export interface DownstreamRoute {
  path: string;
  /** Runs only for a caller the kit accepted. */
  answer(req: Request, caller: DownstreamCaller): Answer | Promise<Answer>;
}

export interface DownstreamServiceDefinition {
  name: string;
  defaultPort: number;
  /** Token mode: the subgraphs whose calls it takes unless ALLOWED_ACTORS says otherwise. */
  defaultActors: readonly string[];
  /** GET routes. */
  routes: DownstreamRoute[];
}

export interface RunningDownstreamService extends RunningServer {
  name: string;
}

export async function startDownstreamService(definition: DownstreamServiceDefinition, config: DownstreamConfig, options: { logger?: Logger } = {}): Promise<RunningDownstreamService> {
  const logger = options.logger ?? createLogger({ service: definition.name, ...config.logging });
  const metrics = createSubgraphMetrics();
  const kit = await createDownstreamKit(config.kit, { allowedActors: config.allowedActors, storeObserver: metrics.sessionStore });
  const app = serviceApp({
    ...kitServiceOptions({ logger, authMode: config.authMode, metrics, metricsToken: config.metricsToken, kit, names: { service: definition.name } }),
    routes: definition.routes.map((route) => routeOf(route, kit)),
  });
  const running = await listen(app, config.port);
  return releasing({ ...running, name: definition.name }, () => kit.close());
}

/** The caller first (refused with its code and status), then the route; what it cost in `x-auth-cost`. */
function routeOf(route: DownstreamRoute, kit: DownstreamKit): Route {
  const handler: RequestHandler = async (req: Request, res: Response, next) => {
    const cost = emptySubgraphCost();
    try {
      const caller = await kit.identify(req.headers, cost);
      req.observed?.authenticated(caller.identity);
      req.observed?.actedFor(caller.actors);
      const { status, body } = await route.answer(req, caller);
      if (kit.reportsCost) res.setHeader(AUTH_COST_HEADER, formatSubgraphCost(cost));
      res.status(status).json(body);
    } catch (error) {
      if (!(error instanceof AuthError)) return next(error);
      req.observed?.refuse(error, 'http');
      if (kit.reportsCost) res.setHeader(AUTH_COST_HEADER, formatSubgraphCost(cost));
      res.status(error.status).json(errorBody(error.code, error.message));
    }
  };
  return { method: 'get', path: route.path, handlers: [handler] };
}

/** The entry point of a downstream service's process: config from the environment, a graceful drain on signals. */
export function runDownstreamService(definition: DownstreamServiceDefinition): void {
  void runMain(async () => {
    const config = loadDownstreamConfig(definition.name, definition.defaultPort, definition.defaultActors);
    const logger = createLogger({ service: definition.name, ...config.logging });
    const service = await startDownstreamService(definition, config, { logger });
    logger.info(`${definition.name} listening on http://localhost:${service.port}`, { authMode: config.authMode, allowedActors: config.allowedActors });
    stopOnExitSignals(async () => {
      logger.info('stopping: draining requests in flight');
      await service.drain(config.drain);
    });
  });
}
