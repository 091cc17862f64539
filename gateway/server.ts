/**
 * Assembles the gateway: signing keys, auth mode, supergraph loading and
 * Apollo Server, behind a thin Express adapter. The HTTP server listens
 * before the supergraph is composed, because subgraphs need the gateway's
 * JWKS to accept the gateway's own schema-loading requests.
 */
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { ConfigError, type GatewayConfig } from '../shared/config.js';
import { emptyAuthCost } from '../shared/auth-cost.js';
import { createPolicyRegistry } from '../shared/authorization.js';
import { POLICIES } from '../shared/policies.js';
import { AuthError, errorBody, toGraphQLError } from '../shared/errors.js';
import { authCostExtension } from './auth-cost-plugin.js';
import { jsonErrorHandler, listen, type RunningServer } from '../shared/http.js';
import { authRoutes } from './auth-routes.js';
import { createGatewayAuthorization } from './authorization.js';
import { createAuthMode, type AuthMode } from './auth-mode.js';
import { IdentityDataSource, type GatewayContext } from './datasource.js';
import { apolloLogger, createLogger, shortHash, type Logger } from './logger.js';
import { createGatewayMetrics, metricsHandler, type GatewayMetrics } from '../shared/metrics.js';
import { operationObserver } from '../shared/operation-observer.js';
import { requestLogging } from '../shared/request-log.js';
import { playgroundRouter } from './playground/router.js';
import { loadSigningKeys } from './signing-keys.js';
import { readSubgraphList, SubgraphListError } from './subgraph-list.js';
import { supergraphLoader } from './supergraph.js';
import { createUserDirectory, type UserDirectory } from './users.js';
import { jsonFallback, publicErrorFormatter } from '../shared/error-hygiene.js';
import { createLoginLimits } from './login-limits.js';
import { requestLimits } from './request-limits.js';

export interface GatewayOptions {
  /** Default: a pino logger on stdout per LOG_LEVEL/LOG_FORMAT. */
  logger?: Logger;
  users?: UserDirectory;
  /** Also export Node's process metrics (the entry point sets it; in-process test servers do not). */
  processMetrics?: boolean;
}

export interface RunningGateway extends RunningServer {
  /** Resolves when the supergraph is composed and /graphql serves. */
  ready: Promise<void>;
  mode: AuthMode;
  /** This gateway's own metrics registry (what GET /metrics serves). */
  metrics: Registry;
}

export async function startGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger({ service: 'gateway', ...config.logging });
  const metrics = createGatewayMetrics({ processMetrics: options.processMetrics });
  const keys = await loadSigningKeys(config.keysDir);
  try {
    // At start, a missing or broken list is a configuration error; later edits
    // are the live loader's business (it keeps the last good supergraph).
    readSubgraphList(config.subgraphsFile);
  } catch (error) {
    if (error instanceof SubgraphListError) throw new ConfigError('SUBGRAPHS_FILE', `a readable JSON list of {"name","url"} (${error.message})`, config.subgraphsFile);
    throw error;
  }
  const mode = await createAuthMode(config, keys, logger, metrics);
  const buildService = ({ name, url }: { name: string; url?: string }) =>
    new IdentityDataSource(name, url!, mode.propagation, mode.gatewayCaller, { metrics, logger });
  const loader = supergraphLoader({
    subgraphsFile: config.subgraphsFile,
    logger,
    pollIntervalMs: config.subgraphPollIntervalSeconds * 1000,
    // Its own data sources for schema loading: trying a new URL must not re-route live traffic.
    buildDataSource: buildService,
  });

  // @authenticated/@requiresScopes/@policy: read from every supergraph, enforced before planning.
  const authorization = createGatewayAuthorization({
    policies: createPolicyRegistry(POLICIES, (message) => logger.warn(message)),
    identityOf: (context) => (context as GatewayContext).caller.identity,
    logger,
    onDenied(directive, coordinate, context) {
      metrics.denial(directive);
      const record = (context as GatewayContext).request;
      if (record) ((record.fields.denied as string[] | undefined) ??= []).push(`${coordinate} @${directive}`);
    },
  });
  // @apollo/gateway 2.14 otherwise sends usage telemetry to Apollo and probes
  // cloud metadata endpoints at construction: a gateway does not phone home.
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const gateway = new ApolloGateway({
    logger: apolloLogger(logger),
    supergraphSdl: authorization.supergraphManager(loader),
    buildService,
  });
  const limits = requestLimits(config.hardening);
  const apollo = new ApolloServer<GatewayContext>({
    logger: apolloLogger(logger),
    gateway: authorization.gateway(gateway),
    // The playground needs introspection for its docs and autocompletion:
    // enabling it in production (PLAYGROUND=true) opts into schema exposure too.
    introspection: config.hardening.introspection,
    // CSRF prevention, no batching, no field suggestions without introspection, parse limits.
    ...limits.apollo,
    // In production no internal message, path or stack reaches a client (shared/error-hygiene.ts).
    formatError: publicErrorFormatter({ production: config.production, log: (message) => logger.error(message) }),
    // Stack traces belong in the logs, never in a client's response.
    includeStacktraceInErrorResponses: false,
    plugins: [
      // Apollo's landing page loads its Sandbox from a CDN; the gateway serves its own playground.
      ApolloServerPluginLandingPageDisabled(),
      limits.plugin,
      operationObserver<GatewayContext>(metrics),
      ...(config.production ? [] : [authCostExtension()]),
    ],
  });

  let graphql: RequestHandler | undefined;
  const ready = apollo.start().then(() => {
    graphql = expressMiddleware(apollo, {
      context: async ({ req }) => {
        const request = req.observed;
        try {
          const cost = emptyAuthCost();
          // express-session read the store once for a request that carried its cookie.
          if (mode.name === 'session' && req.session?.auth) cost.storeReads++;
          const caller = await mode.clientAuth.authenticate(req);
          metrics.authentication(mode.name, caller.identity ? 'ok' : 'anonymous');
          if (request) {
            request.fields.user = caller.identity?.id ?? null;
            // The session id is a credential: only its hash goes into the log, for correlation.
            if (caller.sessionId) request.fields.session = shortHash(caller.sessionId);
          }
          return { caller, cost, request };
        } catch (error) {
          if (error instanceof AuthError) {
            // The reason code on the access line and in the metrics; never the token.
            metrics.authentication(mode.name, 'refused', error.code);
            metrics.request('unknown', 'refused');
            if (request) request.fields.authCode = error.code;
            throw toGraphQLError(error);
          }
          throw error;
        }
      },
    });
  });
  // A start that fails (the gateway was closed while waiting) is reported by `ready`.
  ready.catch(() => {});

  const app = express();
  app.disable('x-powered-by');
  if (config.trustProxy !== undefined) app.set('trust proxy', config.trustProxy);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const supergraph = loader.status();
    const store = await mode.readiness();
    const ok = supergraph.ready && graphql !== undefined && store.ok;
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', mode: mode.name, supergraph, store });
  });
  app.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(keys.jwks);
  });
  // Scrapes and probes above are not logged: they would drown the requests that matter.
  app.get('/metrics', metricsHandler(metrics.registry, config.metricsToken));
  // Before the session middleware: static assets need no session read.
  if (config.playground) app.use(playgroundRouter({ mode: mode.name }));
  // Request id, trace context and the one access line per request, for everything below.
  app.use(requestLogging(logger, { echoRequestId: true }));
  if (mode.middleware.length > 0) app.use(...mode.middleware);
  const loginLimits = createLoginLimits(config, logger, () => metrics.authentication('login', 'refused', 'RATE_LIMITED'));
  app.use('/auth', authRoutes(mode, options.users ?? createUserDirectory(), metrics, loginLimits.middleware));
  app.use('/graphql', ...limits.http, (req, res, next) => {
    if (graphql) return graphql(req, res, next);
    res.status(503).json(errorBody('GATEWAY_NOT_READY', 'the supergraph is not composed yet; retry shortly'));
  });
  app.use(
    jsonFallback({
      '/auth/login': 'POST',
      '/auth/logout': 'POST',
      '/healthz': 'GET, HEAD',
      '/readyz': 'GET, HEAD',
      '/.well-known/jwks.json': 'GET, HEAD',
      '/metrics': 'GET, HEAD',
    }),
  );
  app.use(authErrorObserver(mode.name, metrics));
  app.use(jsonErrorHandler);

  const running = await listen(app, config.port);
  return {
    ...running,
    ready,
    mode,
    metrics: metrics.registry,
    async close() {
      loader.stop();
      await running.close();
      await ready.then(() => apollo.stop()).catch(() => {});
      await mode.close();
      await loginLimits.close();
    },
  };
}

/**
 * Refusals that end outside GraphQL — the session store down under
 * express-session, the login limiter's store down — are counted and put on
 * the access line here, before jsonErrorHandler answers them.
 */
function authErrorObserver(method: AuthMode['name'], metrics: GatewayMetrics): ErrorRequestHandler {
  return (error, req, _res, next) => {
    if (error instanceof AuthError) {
      metrics.authentication(req.originalUrl.startsWith('/auth/login') ? 'login' : method, 'refused', error.code);
      if (req.observed) req.observed.fields.authCode = error.code;
    }
    next(error);
  };
}
