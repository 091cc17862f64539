/**
 * Runs one subgraph: @apollo/subgraph schema, Apollo Server on Express, and
 * the shared auth context. Every subgraph's entry point is a call to this, so
 * a subgraph author writes only a schema and resolvers.
 */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import express from 'express';
import type { Registry } from 'prom-client';
import type { DocumentNode } from 'graphql';
import { loadSubgraphConfig, runMain, type SubgraphConfig } from './config.js';
import { AUTH_COST_HEADER, emptySubgraphCost, formatSubgraphCost } from './auth-cost.js';
import { createPolicyRegistry, protectSubgraphSchema } from './authorization.js';
import { AuthError, toGraphQLError } from './errors.js';
import { jsonErrorHandler, listen, type RunningServer } from './http.js';
import type { Identity } from './identity.js';
import { apolloLogger, createLogger, shortHash, type Logger } from './logger.js';
import { createSubgraphMetrics, metricsHandler } from './metrics.js';
import { operationObserver, type ObservedContext } from './operation-observer.js';
import { requestLogging } from './request-log.js';
import { POLICIES } from './policies.js';
import { jsonFallback, publicErrorFormatter } from './error-hygiene.js';
import { stopOnExitSignals } from './lifecycle.js';
import { createSubgraphAuthenticator, SESSION_ID_HEADER, type SubgraphAuthenticator } from './subgraph-auth.js';

export interface SubgraphContext extends ObservedContext {
  /** The caller, or null when anonymous. Set by the shared auth context, never by resolvers. */
  identity: Identity | null;
}

export interface SubgraphDefinition {
  name: string;
  defaultPort: number;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<SubgraphContext>;
}

export interface RunningSubgraph extends RunningServer {
  name: string;
  /** This subgraph's own metrics registry (what GET /metrics serves). */
  metrics: Registry;
}

export interface SubgraphOptions {
  /** Default: a pino logger on stdout per LOG_LEVEL/LOG_FORMAT. */
  logger?: Logger;
  /** Also export Node's process metrics (runSubgraph sets it; in-process test servers do not). */
  processMetrics?: boolean;
  /**
   * Replaces the authenticator AUTH_MODE would build. Programmatic only, and
   * only for the benchmark's no-auth baseline (scripts/bench): no environment
   * variable or config value reaches it, so a normal start never skips auth.
   */
  authenticator?: SubgraphAuthenticator;
}

export async function startSubgraph(
  definition: SubgraphDefinition,
  config: SubgraphConfig,
  options: SubgraphOptions = {},
): Promise<RunningSubgraph> {
  const logger = options.logger ?? createLogger({ service: definition.name, ...config.logging });
  const metrics = createSubgraphMetrics({ processMetrics: options.processMetrics });
  const auth = options.authenticator ?? (await createSubgraphAuthenticator(config, { storeObserver: metrics.sessionStore }));
  const apollo = new ApolloServer<SubgraphContext>({
    logger: apolloLogger(logger),
    // The schema's @authenticated/@requiresScopes/@policy, enforced here too (shared/authorization.ts).
    schema: protectSubgraphSchema(
      buildSubgraphSchema([{ typeDefs: definition.typeDefs, resolvers: definition.resolvers }]),
      definition.typeDefs,
      createPolicyRegistry(POLICIES, (message) => logger.warn(message)),
      (directive, coordinate, context) => {
        // Normally the gateway filtered the field out before; a denial here is a request that bypassed it.
        metrics.denial(directive);
        const record = (context as SubgraphContext).request;
        if (record) ((record.fields.denied as string[] | undefined) ??= []).push(`${coordinate} @${directive}`);
      },
    ),
    // No Apollo usage reporting here, so no inline traces to compute.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled(), operationObserver<SubgraphContext>(metrics)],
    includeStacktraceInErrorResponses: false,
    // In production a resolver's internal message never leaves the subgraph (shared/error-hygiene.ts).
    formatError: publicErrorFormatter({ production: config.production, log: (message) => logger.error(message) }),
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', subgraph: definition.name });
  });
  app.get('/readyz', async (_req, res) => {
    const store = await auth.readiness();
    res.status(store.ok ? 200 : 503).json({ status: store.ok ? 'ready' : 'not ready', subgraph: definition.name, store });
  });
  // Scrapes and probes are not logged; everything below gets an access line with the gateway's request id and trace.
  app.get('/metrics', metricsHandler(metrics.registry, config.metricsToken));
  app.use(requestLogging(logger));
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const cost = emptySubgraphCost();
        const request = req.observed;
        // A session id is a credential: only its hash is logged, to correlate with the gateway's line.
        const sid = req.headers[SESSION_ID_HEADER];
        if (request && typeof sid === 'string') request.fields.session = shortHash(sid);
        try {
          const identity = await auth.identify(req, cost);
          metrics.verified(cost.tokensVerified, cost.verifyCacheHits);
          metrics.authentication(config.authMode, identity ? 'ok' : 'anonymous');
          if (request) request.fields.user = identity?.id ?? null;
          return { identity, request };
        } catch (error) {
          if (error instanceof AuthError) {
            metrics.authentication(config.authMode, 'refused', error.code);
            if (config.authMode === 'token') metrics.verifyFailure(error.code);
            metrics.request('unknown', 'refused');
            // The reason, never the token: a log line must not be a credential. Only the
            // gateway may call a subgraph, so a refusal here is worth a warning of its own.
            if (request) {
              request.fields.authCode = error.code;
              request.log.warn('request refused', { authCode: error.code, reason: error.message });
            }
            throw toGraphQLError(error);
          }
          throw error;
        } finally {
          // The gateway adds this up per client request (see shared/auth-cost.ts).
          if (!config.production) res.setHeader(AUTH_COST_HEADER, formatSubgraphCost(cost));
        }
      },
    }),
  );
  app.use(jsonFallback({ '/healthz': 'GET, HEAD', '/readyz': 'GET, HEAD', '/metrics': 'GET, HEAD' }));
  app.use(jsonErrorHandler);

  const running = await listen(app, config.port);
  return {
    ...running,
    name: definition.name,
    metrics: metrics.registry,
    async close() {
      await running.close();
      await apollo.stop();
      await auth.close();
    },
  };
}

/** The entry point of a subgraph process: config from the environment, clean stop on signals. */
export function runSubgraph(definition: SubgraphDefinition): void {
  void runMain(async () => {
    const config = loadSubgraphConfig(definition.name, definition.defaultPort);
    const logger = createLogger({ service: definition.name, ...config.logging });
    const subgraph = await startSubgraph(definition, config, { logger, processMetrics: true });
    logger.info(`${definition.name} subgraph listening on http://localhost:${subgraph.port}/graphql`, { authMode: config.authMode });
    stopOnExitSignals(() => subgraph.close());
  });
}
