/**
 * Runs one subgraph: @apollo/subgraph schema, Apollo Server on the shared
 * service skeleton (shared/service/), and the subgraph end of the auth mode
 * (shared/auth-modes/). Every subgraph's entry point is a call to this, so a
 * subgraph author writes only a schema and resolvers.
 */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import express from 'express';
import type { DocumentNode } from 'graphql';
import type { Registry } from 'prom-client';
import { type Identity, AUTH_COST_HEADER, emptySubgraphCost, formatSubgraphCost } from '@fedgw/subgraph-kit';
import { createPolicyRegistry, protectSubgraphSchema } from '@fedgw/subgraph-kit/authorization';
import { SESSION_ID_HEADER } from '@fedgw/subgraph-kit/session';
import { AUTH_MODES } from './auth-modes/index.js';
import type { SubgraphAuthenticator } from './auth-modes/contract.js';
import { POLICIES } from './authorization/policies.js';
import { runMain } from './config/env.js';
import { loadSubgraphConfig, type SubgraphConfig } from './config/subgraph.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createSubgraphMetrics } from './observability/metrics.js';
import type { ObservedContext } from './observability/operation-observer.js';
import { apolloDefaults, graphqlHandler } from './service/apollo.js';
import { serviceApp, use } from './service/app.js';
import { listen, type RunningServer } from './service/http.js';
import { stopOnExitSignals } from './service/lifecycle.js';

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

export async function startSubgraph(definition: SubgraphDefinition, config: SubgraphConfig, options: SubgraphOptions = {}): Promise<RunningSubgraph> {
  const logger = options.logger ?? createLogger({ service: definition.name, ...config.logging });
  const metrics = createSubgraphMetrics({ processMetrics: options.processMetrics });
  const auth = options.authenticator ?? (await AUTH_MODES[config.authMode].subgraph({ config, storeObserver: metrics.sessionStore }));
  const apollo = new ApolloServer<SubgraphContext>({
    // The schema's @authenticated/@requiresScopes/@policy, enforced here too (shared/authorization/).
    // Normally the gateway filtered a denied field out before; a denial here is a request that bypassed it.
    schema: protectSubgraphSchema(
      buildSubgraphSchema([{ typeDefs: definition.typeDefs, resolvers: definition.resolvers }]),
      definition.typeDefs,
      createPolicyRegistry(POLICIES, (message) => logger.warn(message)),
      (directive, coordinate, context) => (context as SubgraphContext).request?.deny(directive, coordinate),
    ),
    ...apolloDefaults<SubgraphContext>({
      logger,
      production: config.production,
      // No Apollo usage reporting here, so no inline traces to compute.
      plugins: [ApolloServerPluginInlineTraceDisabled()],
    }),
  });
  await apollo.start();

  const graphql = graphqlHandler(apollo, async (req, res, record) => {
    const cost = emptySubgraphCost();
    // A session id is a credential: only its hash is logged, to correlate with the gateway's line.
    const sid = req.headers[SESSION_ID_HEADER];
    if (typeof sid === 'string') record.session(sid);
    try {
      const identity = await auth.identify(req, cost);
      record.verified(cost);
      record.authenticated(identity);
      return { identity, request: record };
    } finally {
      // The gateway adds this up per client request (shared/observability/auth-cost.ts).
      if (!config.production) res.setHeader(AUTH_COST_HEADER, formatSubgraphCost(cost));
    }
  });
  const app = serviceApp({
    logger,
    // Only the gateway may call a subgraph, so a refusal here is worth a warning of its own.
    requests: { method: config.authMode, metrics, warnOnRefusal: true },
    metricsToken: config.metricsToken,
    health: { subgraph: definition.name },
    readiness: async () => {
      const store = await auth.readiness();
      return { ready: store.ok, details: { subgraph: definition.name, store } };
    },
    routes: [use('/graphql', express.json({ limit: '1mb' }), graphql)],
  });

  const running = await listen(app, config.port);
  const release = async () => {
    await apollo.stop();
    await auth.close();
  };
  return {
    ...running,
    name: definition.name,
    metrics: metrics.registry,
    async close() {
      await running.close();
      await release();
    },
    async drain(options) {
      await running.drain(options);
      await release();
    },
  };
}

/** The entry point of a subgraph process: config from the environment, a graceful drain on signals. */
export function runSubgraph(definition: SubgraphDefinition): void {
  void runMain(async () => {
    const config = loadSubgraphConfig(definition.name, definition.defaultPort);
    const logger = createLogger({ service: definition.name, ...config.logging });
    const subgraph = await startSubgraph(definition, config, { logger, processMetrics: true });
    logger.info(`${definition.name} subgraph listening on http://localhost:${subgraph.port}/graphql`, { authMode: config.authMode });
    stopOnExitSignals(async () => {
      logger.info('stopping: draining requests in flight');
      await subgraph.drain(config.drain);
    });
  });
}
