/**
 * Assembles the gateway on the shared service skeleton (shared/service/):
 * signing keys, the auth mode's gateway end (shared/auth-modes/), the live
 * supergraph, authorization and Apollo Server. The HTTP server listens
 * before the supergraph is composed, because subgraphs need the gateway's
 * JWKS to accept the gateway's own schema-loading requests.
 */
import { createHash } from 'node:crypto';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { ConfigError, type Identity } from '@fedgw/subgraph-kit';
import { createPolicyRegistry } from '@fedgw/subgraph-kit/authorization';
import { JWKS_MAX_AGE_SECONDS } from '@fedgw/subgraph-kit/token';
import type { Caller, GatewayAuthStrategy } from '../shared/auth-modes/contract.js';
import { AUTH_MODES } from '../shared/auth-modes/index.js';
import { POLICIES } from '../shared/authorization/policies.js';
import type { GatewayConfig } from '../shared/config/gateway.js';
import { errorBody } from '../shared/errors.js';
import { emptyAuthCost } from '../shared/observability/auth-cost.js';
import { AuthTraceRecorder } from '../shared/observability/auth-trace.js';
import { apolloLogger, createLogger, type Logger } from '../shared/observability/logger.js';
import { createGatewayMetrics, type GatewayMetrics } from '../shared/observability/metrics.js';
import { apolloDefaults, graphqlHandler } from '../shared/service/apollo.js';
import { get, serviceApp, use } from '../shared/service/app.js';
import { listen, releasing, type RunningServer } from '../shared/service/http.js';
import { openStore } from '../shared/store/index.js';
import { authCostExtension } from './auth-cost-plugin.js';
import { authTraceExtension, tracePlan } from './auth-trace.js';
import { keyPolicy, loadSigningKeys } from './auth/signing-keys.js';
import { authRoutes } from './auth/routes.js';
import { loginLimits } from './auth/login-limits.js';
import { oidcSignIn } from './auth/oidc/index.js';
import { createUserDirectory, type UserDirectory } from './auth/users.js';
import { GatewayAuthorization } from './authorization/index.js';
import { playgroundRouter } from './playground/router.js';
import { requestLimits, type RequestLimits } from './request-limits.js';
import { IdentityDataSource, type GatewayContext } from './subgraph-client.js';
import { LiveSupergraph } from './supergraph/live-supergraph.js';
import { readSubgraphList, SubgraphListError } from './supergraph/subgraph-list.js';
import { exchangeClients } from './auth/exchange-clients.js';

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
  /** Resolves when the supergraph is composed and /graphql serves; rejects if the gateway stopped before. */
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
  const { keys, store, strategy } = await openAuth(config, logger, metrics, options.strategy);
  const gatewayCaller: Caller = { identity: gatewayIdentity(config) };
  const binding = config.requestBinding ? { issuer: config.gatewayIssuer, key: () => keys.current } : undefined;
  const buildService = ({ name, url }: { name: string; url?: string }) =>
    new IdentityDataSource(name, url!, strategy.propagation, gatewayCaller, { metrics, logger }, binding);
  const supergraph = new LiveSupergraph({
    subgraphsFile: config.subgraphsFile,
    logger,
    pollIntervalMs: config.subgraphPollIntervalSeconds * 1000,
    // Its own data sources for schema loading: trying a new URL must not re-route live traffic.
    buildDataSource: buildService,
  });
  const limits = requestLimits(config.hardening);
  const apollo = gatewayApollo({ config, logger, supergraph, buildService, limits });
  const graphql = graphqlRoute(apollo, strategy, config.authTrace ? config.authMode : undefined);
  const oidc = oidcSignIn(config, strategy, store, logger);

  const app = serviceApp({
    logger,
    requests: { method: config.authMode, metrics, echoRequestId: true },
    metricsToken: config.metricsToken,
    trustProxy: config.trustProxy,
    async readiness() {
      const store = await strategy.readiness();
      const status = supergraph.status();
      return { ready: status.ready && graphql.serving() && store.ok, details: { mode: config.authMode, supergraph: status, store } };
    },
    unlogged: [
      get('/.well-known/jwks.json', (_req, res) => {
        res.set('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`).json(keys.jwks);
      }),
      // Static assets need no session read, so the playground comes before the session middleware.
      ...(config.playground ? [use(undefined, playgroundRouter({ mode: config.authMode, providerName: oidc?.providerName }))] : []),
    ],
    routes: [
      ...(strategy.middleware.length > 0 ? [use(undefined, ...strategy.middleware)] : []),
      ...authRoutes(strategy, options.users ?? createUserDirectory(), logger, loginLimits(config, store, logger), oidc?.endSessionUrl),
      ...(oidc?.routes ?? []),
      use('/graphql', ...limits.http, graphql.handler),
    ],
  });

  const running = await listen(app, config.port, { host: config.host, limits: config.http });
  // Whichever way the server stops, what it holds is released after it.
  const release = async () => {
    supergraph.stop();
    await graphql.ready.then(() => apollo.stop()).catch(() => {});
    await strategy.close();
    await store.close();
    keys.close();
  };
  return releasing({ ...running, ready: graphql.ready, strategy, metrics: metrics.registry }, release);
}

/** The signing keys, the shared store and the auth mode's gateway end: what authenticates callers. */
async function openAuth(config: GatewayConfig, logger: Logger, metrics: GatewayMetrics, replacement?: GatewayAuthStrategy) {
  const keys = await loadSigningKeys(config.keysDir, { ...keyPolicy(config), watch: true, logger });
  checkSubgraphList(config.subgraphsFile);
  const store = await openStore(config.store, {
    namespace: storeNamespace(config.gatewayIssuer),
    observer: metrics.sessionStore,
    defaultSessionTtlSeconds: config.sessionIdleTimeoutSeconds,
    onOutage: (error) => logger.warn(`shared store unavailable: ${error.message}`),
  });
  const exchange = exchangeClients(config.subgraphsFile, logger);
  const strategy = replacement ?? (await AUTH_MODES[config.authMode].gateway({ config, keys, store, logger, observer: metrics, exchangeClients: exchange }));
  return { keys, store, strategy };
}

/**
 * /graphql: 503 GATEWAY_NOT_READY until Apollo Server has started over the first supergraph, then each
 * request authenticated once. `tracedMode`: AUTH_TRACE is on, each request gets an auth trace.
 */
function graphqlRoute(apollo: ApolloServer<GatewayContext>, strategy: GatewayAuthStrategy, tracedMode?: string) {
  let handler: RequestHandler | undefined;
  const ready = apollo.start().then(() => {
    handler = graphqlHandler(apollo, async (req, _res, request) => {
      const cost = emptyAuthCost();
      const caller = await strategy.authenticate(req, cost);
      request.authenticated(caller.identity, caller.sessionId);
      const trace = tracedMode === undefined ? undefined : new AuthTraceRecorder(tracedMode, caller.identity, cost.storeReads);
      return { caller, cost, request, trace };
    });
  });
  // A start that fails (the gateway was closed while waiting) is reported by `ready`.
  ready.catch(() => {});
  return {
    ready,
    serving: () => handler !== undefined,
    handler: ((req, res, next) => {
      if (handler) return handler(req, res, next);
      res.status(503).json(errorBody('GATEWAY_NOT_READY', 'the supergraph is not composed yet; retry shortly'));
    }) as RequestHandler,
  };
}

/** Keeps one deployment's revocations and refresh tokens apart from another's in one store: replicas share the issuer. */
function storeNamespace(issuer: string): string {
  return `fag:${createHash('sha256').update(issuer).digest('base64url').slice(0, 16)}`;
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
    onDenied: (directive, coordinate, context) => {
      (context as GatewayContext).request?.deny(directive, coordinate);
      (context as GatewayContext).trace?.denied(directive, coordinate);
    },
    ...(config.authTrace ? { onWithheld: (coordinate: string, path: (string | number)[], context: unknown) => (context as GatewayContext).trace?.withheldAt(coordinate, path) } : {}),
  });
  // @apollo/gateway 2.14 otherwise sends usage telemetry to Apollo and probes
  // cloud metadata endpoints at construction: a gateway does not phone home.
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const gateway = new ApolloGateway({
    logger: apolloLogger(logger),
    supergraphSdl: authorization.supergraphManager(supergraph),
    buildService,
    // The plan of each traced request, for the playground's second tab.
    ...(config.authTrace ? { experimental_didResolveQueryPlan: tracePlan } : {}),
  });
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
      plugins: [limits.plugin, ...(config.production ? [] : [authCostExtension()]), ...(config.authTrace ? [authTraceExtension()] : [])],
    }),
  });
}
