/**
 * Runs one downstream service of this repository: a plain HTTP/JSON service
 * (not GraphQL) that subgraphs call on their caller's behalf. The caller —
 * and, in token mode, the chain of services acting for them — comes from
 * the subgraph kit's downstream end (@fedgw/subgraph-kit, createDownstreamKit):
 * a downstream token the gateway exchanged for this service, or the session
 * id read from the shared store. A request without a caller never reaches a
 * route. Served on the shared service skeleton (/healthz, /readyz, /metrics,
 * one access line per request with the actor chain, never a token).
 *
 * A route may call further services on the same caller's behalf (a hop
 * further: `calls.get('ledger', path)`), those its definition names in
 * `downstream` — as a subgraph does, with its own key (token mode, served at
 * /.well-known/jwks.json) and its entry in the gateway's subgraph list
 * (`"kind": "service"`). A refusal there is answered with that service's
 * code and status.
 */
import type { Request, RequestHandler, Response } from 'express';
import { AUTH_COST_HEADER, AuthError, createDownstreamKit, emptySubgraphCost, formatSubgraphCost, type DownstreamCaller, type DownstreamKit } from '@fedgw/subgraph-kit';
import { runMain } from './config/env.js';
import { loadDownstreamConfig, type DownstreamConfig } from './config/downstream.js';
import { DownstreamCallError, downstreamCaller, jwksRoute, type CallDownstream } from './downstream-call.js';
import { errorBody, type PublicErrorCode } from './errors.js';
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

/** A route's calls to the services it calls further, as its caller. */
export interface ServiceCalls {
  /** Whether `service` is configured: an optional one (no default URL) is called only when its <NAME>_URL is set. */
  has(service: string): boolean;
  /** Throws DownstreamCallError, which the route may leave to be answered with the service's code and status. */
  get: CallDownstream;
}

export interface DownstreamRoute {
  path: string;
  /** Runs only for a caller the kit accepted. */
  answer(req: Request, caller: DownstreamCaller, calls: ServiceCalls): Answer | Promise<Answer>;
}

export interface DownstreamServiceDefinition {
  name: string;
  defaultPort: number;
  /** Token mode: the subgraphs whose calls it takes unless ALLOWED_ACTORS says otherwise. */
  defaultActors: readonly string[];
  /**
   * The services it calls further on the caller's behalf, each with its default base URL, or null for
   * one it calls only when its <NAME>_URL is set. The gateway's subgraph list must list this service
   * (`"kind": "service"`) with the same `downstream`.
   */
  downstream?: Readonly<Record<string, string | null>>;
  /** GET routes. */
  routes: DownstreamRoute[];
}

export interface RunningDownstreamService extends RunningServer {
  name: string;
}

/** `processMetrics`: also export Node's process metrics (the process entry point sets it; in-process test servers do not). */
export async function startDownstreamService(definition: DownstreamServiceDefinition, config: DownstreamConfig, options: { logger?: Logger; processMetrics?: boolean } = {}): Promise<RunningDownstreamService> {
  const logger = options.logger ?? createLogger({ service: definition.name, ...config.logging });
  const metrics = createSubgraphMetrics({ processMetrics: options.processMetrics });
  const kit = await createDownstreamKit(config.kit, { allowedActors: config.allowedActors, storeObserver: metrics.sessionStore });
  const app = serviceApp({
    ...kitServiceOptions({ logger, authMode: config.authMode, metrics, metricsToken: config.metricsToken, kit, names: { service: definition.name } }),
    unlogged: kit.jwks ? [jwksRoute(kit.jwks)] : [],
    routes: definition.routes.map((route) => routeOf(route, kit, config.downstreamUrls)),
  });
  const running = await listen(app, config.port, { host: config.host, limits: config.http });
  return releasing({ ...running, name: definition.name }, () => kit.close());
}

/** The caller first (refused with its code and status), then the route; what it cost in `x-auth-cost`, the calls it made further included. */
function routeOf(route: DownstreamRoute, kit: DownstreamKit, urls: Readonly<Record<string, string>>): Route {
  const handler: RequestHandler = async (req: Request, res: Response, next) => {
    const cost = emptySubgraphCost();
    try {
      const caller = await kit.identify(req.headers, cost);
      req.observed?.authenticated(caller.identity);
      req.observed?.actedFor(caller.actors);
      const calls: ServiceCalls = { has: (service) => Object.hasOwn(urls, service), get: downstreamCaller(kit.downstream(req.headers, cost), urls, req.observed!) };
      const { status, body } = await route.answer(req, caller, calls);
      if (kit.reportsCost) res.setHeader(AUTH_COST_HEADER, formatSubgraphCost(cost));
      res.status(status).json(body);
    } catch (error) {
      if (!(error instanceof AuthError || error instanceof DownstreamCallError)) return next(error);
      if (error instanceof AuthError) req.observed?.refuse(error, 'http');
      if (kit.reportsCost) res.setHeader(AUTH_COST_HEADER, formatSubgraphCost(cost));
      // A further service's own code is passed on as it came (its codes are this deployment's, shared/errors.ts).
      res.status(error.status).json(errorBody(error.code as PublicErrorCode, error.message));
    }
  };
  return { method: 'get', path: route.path, handlers: [handler] };
}

/** The entry point of a downstream service's process: config from the environment, a graceful drain on signals. */
export function runDownstreamService(definition: DownstreamServiceDefinition): void {
  void runMain(async () => {
    const config = loadDownstreamConfig(definition.name, definition.defaultPort, definition.defaultActors, process.env, definition.downstream);
    const logger = createLogger({ service: definition.name, ...config.logging });
    const service = await startDownstreamService(definition, config, { logger, processMetrics: true });
    logger.info(`${definition.name} listening on ${service.url}`, { authMode: config.authMode, allowedActors: config.allowedActors });
    stopOnExitSignals(async () => {
      logger.info('stopping: draining requests in flight');
      await service.drain(config.drain);
    });
  });
}
