/**
 * Assembles the gateway on the shared service skeleton (shared/service/):
 * signing keys, the auth mode's gateway end (shared/auth-modes/), the live
 * supergraph, authorization and Apollo Server. The HTTP server listens
 * before the supergraph is composed, because subgraphs need the gateway's
 * JWKS to accept the gateway's own schema-loading requests.
 */
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import type { Caller, GatewayAuthStrategy } from '../shared/auth-modes/contract.js';
import { AUTH_MODES } from '../shared/auth-modes/index.js';
import { POLICIES } from '../shared/authorization/policies.js';
import { createPolicyRegistry } from '../shared/authorization/rules.js';
import { ConfigError } from '../shared/config/env.js';
import type { GatewayConfig } from '../shared/config/gateway.js';
import { errorBody } from '../shared/errors.js';
import type { Identity } from '../shared/identity.js';
import { emptyAuthCost } from '../shared/observability/auth-cost.js';
import { apolloLogger, createLogger, type Logger } from '../shared/observability/logger.js';
import { createGatewayMetrics } from '../shared/observability/metrics.js';
import { apolloDefaults, graphqlHandler } from '../shared/service/apollo.js';
import { get, serviceApp, use } from '../shared/service/app.js';
import { listen, type RunningServer } from '../shared/service/http.js';
import { authCostExtension } from './auth-cost-plugin.js';
import { loadSigningKeys } from './auth/signing-keys.js';
import { authRoutes } from './auth/routes.js';
import { createLoginLimits } from './auth/login-limits.js';
import { createUserDirectory, type UserDirectory } from './auth/users.js';
import { GatewayAuthorization } from './authorization/index.js';
import { playgroundRouter } from './playground/router.js';
import { requestLimits, type RequestLimits } from './request-limits.js';
import { IdentityDataSource, type GatewayContext } from './subgraph-client.js';
import { LiveSupergraph } from './supergraph/live-supergraph.js';
import { readSubgraphList, SubgraphListError } from './supergraph/subgraph-list.js';

export interface GatewayOptions {
  /** Default: a pino logger on stdout per LOG_LEVEL/LOG_FORMAT. */
  logger?: Logger;
  users?: UserDirectory;
  /** Also export Node's process metrics (the entry point sets it; in-process test servers do not). */
  processMetrics?: boolean;
  /**
   * Replaces the auth strategy AUTH_MODE would build. Programmatic only, and
   * only for the benchmark's auth-off variant (scripts/bench): no environment
   * variable or config value reaches it, so a normal start never skips auth.
   */
  strategy?: GatewayAuthStrategy;
}

export interface RunningGateway extends RunningServer {
  /** Resolves when the supergraph is composed and /graphql serves. */
  ready: Promise<void>;
  strategy: GatewayAuthStrategy;
  /** This gateway's own metrics registry (what GET /metrics serves). */
  metrics: Registry;
}

/** Who the gateway is when no user is involved (schema loading, health checks). */
export function gatewayIdentity(config: GatewayConfig): Identity {
  return { kind: 'gateway', id: config.gatewayIssuer, scopes: [] };
}

export async function startGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger({ service: 'gateway', ...config.logging });
  const metrics = createGatewayMetrics({ processMetrics: options.processMetrics });
  const keys = await loadSigningKeys(config.keysDir);
  checkSubgraphList(config.subgraphsFile);
  const strategy = options.strategy ?? (await AUTH_MODES[config.authMode].gateway({ config, keys, logger, observer: metrics }));
  const gatewayCaller: Caller = { identity: gatewayIdentity(config) };
  const buildService = ({ name, url }: { name: string; url?: string }) =>
    new IdentityDataSource(name, url!, strategy.propagation, gatewayCaller, { metrics, logger });
  const supergraph = new LiveSupergraph({
    subgraphsFile: config.subgraphsFile,
    logger,
    pollIntervalMs: config.subgraphPollIntervalSeconds * 1000,
    // Its own data sources for schema loading: trying a new URL must not re-route live traffic.
    buildDataSource: buildService,
  });
  const limits = requestLimits(config.hardening);
  const apollo = gatewayApollo({ config, logger, supergraph, buildService, limits });

  let graphql: RequestHandler | undefined;
  const ready = apollo.start().then(() => {
    graphql = graphqlHandler(apollo, async (req, _res, request) => {
      const cost = emptyAuthCost();
      const caller = await strategy.authenticate(req, cost);
      request.authenticated(caller.identity, caller.sessionId);
      return { caller, cost, request };
    });
  });
  // A start that fails (the gateway was closed while waiting) is reported by `ready`.
  ready.catch(() => {});

  const loginLimits = createLoginLimits(config, strategy.sharedStore, logger);
  const app = serviceApp({
    logger,
    requests: { method: config.authMode, metrics, echoRequestId: true },
    metricsToken: config.metricsToken,
    trustProxy: config.trustProxy,
    async readiness() {
      const store = await strategy.readiness();
      const status = supergraph.status();
      return { ready: status.ready && graphql !== undefined && store.ok, details: { mode: config.authMode, supergraph: status, store } };
    },
    unlogged: [
      get('/.well-known/jwks.json', (_req, res) => {
        res.set('Cache-Control', 'public, max-age=300').json(keys.jwks);
      }),
      // Static assets need no session read, so the playground comes before the session middleware.
      ...(config.playground ? [use(undefined, playgroundRouter({ mode: config.authMode }))] : []),
    ],
    routes: [
      ...(strategy.middleware.length > 0 ? [use(undefined, ...strategy.middleware)] : []),
      ...authRoutes(strategy, options.users ?? createUserDirectory(), loginLimits.middleware),
      use('/graphql', ...limits.http, (req, res, next) => {
        if (graphql) return graphql(req, res, next);
        res.status(503).json(errorBody('GATEWAY_NOT_READY', 'the supergraph is not composed yet; retry shortly'));
      }),
    ],
  });

  const running = await listen(app, config.port);
  return {
    ...running,
    ready,
    strategy,
    metrics: metrics.registry,
    async close() {
      supergraph.stop();
      await running.close();
      await ready.then(() => apollo.stop()).catch(() => {});
      await strategy.close();
      await loginLimits.close();
    },
  };
}

/** At start, a missing or broken list is a configuration error; later edits are the live supergraph's business (it keeps the last good one). */
function checkSubgraphList(file: string): void {
  try {
    readSubgraphList(file);
  } catch (error) {
    if (error instanceof SubgraphListError) throw new ConfigError('SUBGRAPHS_FILE', `a readable JSON list of {"name","url"} (${error.message})`, file);
    throw error;
  }
}

interface GatewayApolloParts {
  config: GatewayConfig;
  logger: Logger;
  supergraph: LiveSupergraph;
  buildService: (entry: { name: string; url?: string }) => IdentityDataSource;
  limits: RequestLimits;
}

/** Apollo Server over ApolloGateway, with authorization wrapped around both the supergraph and the executor. */
function gatewayApollo({ config, logger, supergraph, buildService, limits }: GatewayApolloParts): ApolloServer<GatewayContext> {
  // @authenticated/@requiresScopes/@policy: read from every supergraph, enforced before planning.
  const authorization = new GatewayAuthorization({
    policies: createPolicyRegistry(POLICIES, (message) => logger.warn(message)),
    identityOf: (context) => (context as GatewayContext).caller.identity,
    logger,
    onDenied: (directive, coordinate, context) => (context as GatewayContext).request?.deny(directive, coordinate),
  });
  // @apollo/gateway 2.14 otherwise sends usage telemetry to Apollo and probes
  // cloud metadata endpoints at construction: a gateway does not phone home.
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const gateway = new ApolloGateway({ logger: apolloLogger(logger), supergraphSdl: authorization.supergraphManager(supergraph), buildService });
  return new ApolloServer<GatewayContext>({
    gateway: authorization.gateway(gateway),
    // The playground needs introspection for its docs and autocompletion:
    // enabling it in production (PLAYGROUND=true) opts into schema exposure too.
    introspection: config.hardening.introspection,
    // CSRF prevention, no batching, no field suggestions without introspection, parse limits.
    ...limits.apollo,
    ...apolloDefaults<GatewayContext>({
      logger,
      production: config.production,
      plugins: [limits.plugin, ...(config.production ? [] : [authCostExtension()])],
    }),
  });
}
