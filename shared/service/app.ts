/**
 * The Express skeleton every process serves on — the gateway and each
 * subgraph — so the parts they share are written once:
 *
 *   /healthz, /readyz, /metrics   probes and scrapes, not logged (they would drown the requests that matter);
 *                                 /readyz is 503 while the server drains (http.ts)
 *   `unlogged` routes             more of those (the gateway's JWKS, the playground's static files)
 *   request logging               request id, trace context, one access line per request (request-record.ts)
 *   `routes`                      what the service is for (/graphql, /auth/…)
 *   JSON 404 / 405                with `Allow` from the routes declared here
 *   jsonErrorHandler              every error as JSON with a stable code
 *
 * Each server's own file says only what differs: its routes, readiness and
 * health details.
 */
import express, { type Express, type RequestHandler } from 'express';
import type { Readiness } from '@fedgw/subgraph-kit';
import { metricsHandler } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import { requestLogging, type RequestLoggingOptions } from '../observability/request-record.js';
import { jsonFallback } from './error-hygiene.js';
import { closeConnectionsWhileDraining, DRAINING, jsonErrorHandler } from './http.js';

/** A route; `use` mounts middleware on a path prefix (any method), and is left out of `Allow`. */
export interface Route {
  method: 'get' | 'post' | 'use';
  /** Absent only for `use`: middleware for every path. */
  path?: string;
  handlers: RequestHandler[];
}

export const get = (path: string, ...handlers: RequestHandler[]): Route => ({ method: 'get', path, handlers });
export const post = (path: string, ...handlers: RequestHandler[]): Route => ({ method: 'post', path, handlers });
export const use = (path: string | undefined, ...handlers: RequestHandler[]): Route => ({ method: 'use', path, handlers });

export interface ServiceAppOptions {
  logger: Logger;
  /** What the records of this service's requests move (request-record.ts), and whether the request id is echoed. */
  requests: RequestLoggingOptions;
  /** METRICS_TOKEN: when set, GET /metrics needs it as a bearer token. */
  metricsToken: string | undefined;
  /** Express's `trust proxy` (client IPs and the protocol behind a proxy). */
  trustProxy?: boolean | number | string;
  /** Added to /healthz's `{"status":"ok"}`. */
  health?: Record<string, unknown>;
  /** Whether the service can serve now, and what /readyz shows besides `status`. */
  readiness(): Promise<{ ready: boolean; details: Record<string, unknown> }>;
  /** Served before request logging. */
  unlogged?: Route[];
  routes: Route[];
}

export function serviceApp(options: ServiceAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // No ETag on res.send/res.json answers: a SHA-1 of every GraphQL answer (87 KB on the benchmark's heavy query)
  // that no client revalidates against (POST). Static files (express.static) keep theirs.
  app.set('etag', false);
  closeConnectionsWhileDraining(app);
  if (options.trustProxy !== undefined) app.set('trust proxy', options.trustProxy);
  const probes: Route[] = [
    get('/healthz', (_req, res) => {
      res.json({ status: 'ok', ...options.health });
    }),
    get('/readyz', async (req, res) => {
      const { ready, details } = await options.readiness();
      // A server that drains (SIGTERM) is not ready, however well it could still serve.
      const status = req.app.locals[DRAINING] ? 'draining' : ready ? 'ready' : 'not ready';
      res.status(status === 'ready' ? 200 : 503).json({ status, ...details });
    }),
    get('/metrics', metricsHandler(options.requests.metrics.registry, options.metricsToken)),
  ];
  const unlogged = [...probes, ...(options.unlogged ?? [])];
  for (const route of unlogged) mount(app, route);
  app.use(requestLogging(options.logger, options.requests));
  for (const route of options.routes) mount(app, route);
  app.use(jsonFallback(allowedMethods([...unlogged, ...options.routes])));
  app.use(jsonErrorHandler);
  return app;
}

function mount(app: Express, route: Route): void {
  if (route.method === 'use') {
    if (route.path === undefined) app.use(...route.handlers);
    else app.use(route.path, ...route.handlers);
  } else {
    app[route.method](route.path!, ...route.handlers);
  }
}

/** path → the methods it answers, for 405's `Allow` (GET answers HEAD too). */
function allowedMethods(routes: Route[]): Record<string, string> {
  const allowed: Record<string, string[]> = {};
  for (const { method, path } of routes) {
    if (method === 'use' || path === undefined) continue;
    (allowed[path] ??= []).push(...(method === 'get' ? ['GET', 'HEAD'] : ['POST']));
  }
  return Object.fromEntries(Object.entries(allowed).map(([path, methods]) => [path, methods.join(', ')]));
}

/** What a service behind the gateway (a subgraph, a downstream service) sets up alike. */
export interface KitServiceParts {
  logger: Logger;
  authMode: RequestLoggingOptions['method'];
  metrics: RequestLoggingOptions['metrics'];
  metricsToken: string | undefined;
  /** Its only dependency: the kit's store (session mode). */
  kit: { readiness(): Promise<Readiness> };
  /** Who it is, on /healthz and /readyz: `{ subgraph: name }`, `{ service: name }`. */
  names: Record<string, unknown>;
}

/**
 * The skeleton's options for a service behind the gateway: only the gateway (or
 * a subgraph) may call it, so a refusal is worth a warning line of its own; it
 * is ready while its kit's store answers.
 */
export function kitServiceOptions(parts: KitServiceParts): Omit<ServiceAppOptions, 'routes'> {
  return {
    logger: parts.logger,
    requests: { method: parts.authMode, metrics: parts.metrics, warnOnRefusal: true },
    metricsToken: parts.metricsToken,
    health: parts.names,
    async readiness() {
      const store = await parts.kit.readiness();
      return { ready: store.ok, details: { ...parts.names, store } };
    },
  };
}

export type { Readiness };
