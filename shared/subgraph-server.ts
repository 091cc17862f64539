/**
 * Runs one subgraph of this repository: @apollo/subgraph schema, Apollo
 * Server on the shared service skeleton (shared/service/: /healthz, /readyz,
 * /metrics, logs), and the caller from the subgraph kit
 * (@fedgw/subgraph-kit: its core for the auth mode, its Apollo context
 * function, its enforcement of @authenticated/@requiresScopes/@policy) —
 * the same kit another team installs. Every subgraph's entry point here is
 * a call to this, so a subgraph author writes only a schema and resolvers.
 */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import express, { type Request, type Response } from 'express';
import type { DocumentNode } from 'graphql';
import type { Registry } from 'prom-client';
import {
  createSubgraphKit,
  emptySubgraphCost,
  protectSchema,
  type Env,
  type IdentityContext,
  type IdentitySource,
  type Policy,
  type SubgraphAuthenticator,
  type SubgraphKit,
} from '@fedgw/subgraph-kit';
import { kitContext } from '@fedgw/subgraph-kit/apollo';
import { SESSION_ID_HEADER } from '@fedgw/subgraph-kit/session';
import { POLICIES } from './authorization/policies.js';
import { runMain } from './config/env.js';
import { loadSubgraphConfig, type SubgraphConfig } from './config/subgraph.js';
import { downstreamCaller, fieldCaller, jwksRoute, type CallDownstream } from './downstream-call.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createSubgraphMetrics } from './observability/metrics.js';
import type { ObservedContext } from './observability/operation-observer.js';
import type { RequestRecord } from './observability/request-record.js';
import { apolloDefaults } from './service/apollo.js';
import { kitServiceOptions, serviceApp, use } from './service/app.js';
import { listen, releasing, type RunningServer } from './service/http.js';
import { stopOnExitSignals } from './service/lifecycle.js';

/** What resolvers see: the kit's `identity`, the request's record, and calls to downstream services as the caller. */
export interface SubgraphContext extends IdentityContext, ObservedContext {
  callDownstream: CallDownstream;
}

export interface SubgraphDefinition {
  name: string;
  defaultPort: number;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<SubgraphContext>;
  /** The @policy functions its schema names (default: the deployment's, shared/authorization/policies.ts). */
  policies?: Readonly<Record<string, Policy>>;
  /**
   * The services its resolvers call on the caller's behalf (context.callDownstream), each with its
   * default base URL (<NAME>_URL overrides it). The gateway's subgraph list must say the same (`downstream`).
   */
  downstream?: Readonly<Record<string, string>>;
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
  const kit: Pick<SubgraphKit, 'readiness' | 'close' | 'jwks'> & IdentitySource = options.authenticator
    ? benchmarkOnly(options.authenticator, !config.production)
    : await createSubgraphKit(config.kit, { storeObserver: metrics.sessionStore });
  const apollo = new ApolloServer<SubgraphContext>({
    // The schema's @authenticated/@requiresScopes/@policy, enforced here too (the kit's protectSchema).
    // Normally the gateway filtered a denied field out before; a denial here is a request that bypassed it.
    schema: protectSchema(buildSubgraphSchema([{ typeDefs: definition.typeDefs, resolvers: definition.resolvers }]), {
      typeDefs: definition.typeDefs,
      policies: definition.policies ?? POLICIES,
      warn: (message) => logger.warn(message),
      onDenied: (directive, coordinate, context) => (context as SubgraphContext).request?.deny(directive, coordinate),
    }),
    ...apolloDefaults<SubgraphContext>({
      logger,
      production: config.production,
      // No Apollo usage reporting here, so no inline traces to compute.
      plugins: [ApolloServerPluginInlineTraceDisabled()],
    }),
  });
  await apollo.start();

  const graphql = graphqlMiddleware(apollo, kit, config);
  const app = serviceApp({
    ...kitServiceOptions({ logger, authMode: config.authMode, metrics, metricsToken: config.metricsToken, kit, names: { subgraph: definition.name } }),
    unlogged: kit.jwks ? [jwksRoute(kit.jwks)] : [],
    // The body's bytes are kept: with request binding on, the request proof covers them.
    routes: [use('/graphql', express.json({ limit: '1mb', verify: keepRawBody }), graphql)],
  });

  const running = await listen(app, config.port, { host: config.host, limits: config.http });
  return releasing({ ...running, name: definition.name, metrics: metrics.registry }, async () => {
    await apollo.stop();
    await kit.close();
  });
}

function keepRawBody(req: Request, _res: unknown, body: Buffer): void {
  (req as Request & { rawBody?: Buffer }).rawBody = body;
}

/** A session id is a credential: only its hash is logged, to correlate with the gateway's line. */
function noteSession(req: Request, record: RequestRecord): void {
  const sid = req.headers[SESSION_ID_HEADER];
  if (typeof sid === 'string') record.session(sid);
}

/**
 * /graphql: the kit's context function puts the caller on context.identity, answers a refusal as an
 * HTTP error with its code (a bad token is a 401, not a GraphQL 200) and reports x-auth-cost outside
 * production; this adds the request's record and calls to downstream services as the caller.
 */
function graphqlMiddleware(apollo: ApolloServer<SubgraphContext>, kit: IdentitySource, config: SubgraphConfig) {
  return expressMiddleware(apollo, {
    context: kitContext<{ req: Request; res: Response }, Omit<SubgraphContext, 'identity'>>(kit, {
      context: ({ req, identity, cost, downstream }) => {
        const record = req.observed!;
        noteSession(req, record);
        record.verified(cost);
        record.authenticated(identity);
        return { request: record, callDownstream: fieldCaller(downstreamCaller(downstream, config.downstreamUrls, record)) };
      },
      onRefused: (error, { req }) => {
        noteSession(req, req.observed!);
        req.observed!.refuse(error, 'graphql');
      },
    }),
  });
}

/** The benchmark's no-auth authenticator, reporting its (zero) cost as a real mode would. */
function benchmarkOnly(authenticator: SubgraphAuthenticator, reportsCost: boolean): Pick<SubgraphKit, 'readiness' | 'close' | 'jwks'> & IdentitySource {
  return {
    jwks: undefined,
    reportsCost,
    identify: (headers, cost) => authenticator.identify(headers, cost ?? emptySubgraphCost()),
    readiness: () => authenticator.readiness(),
    close: () => authenticator.close(),
  };
}

/** A subgraph's settings from `env` (its downstream services' URLs included). */
export function subgraphConfig(definition: SubgraphDefinition, env: Env = process.env, defaultPort = definition.defaultPort): SubgraphConfig {
  return loadSubgraphConfig(definition.name, defaultPort, env, definition.downstream);
}

/** The entry point of a subgraph process: config from the environment, a graceful drain on signals. */
export function runSubgraph(definition: SubgraphDefinition): void {
  void runMain(async () => {
    const config = subgraphConfig(definition);
    const logger = createLogger({ service: definition.name, ...config.logging });
    const subgraph = await startSubgraph(definition, config, { logger, processMetrics: true });
    logger.info(`${definition.name} subgraph listening on ${subgraph.url}/graphql`, { authMode: config.authMode });
    stopOnExitSignals(async () => {
      logger.info('stopping: draining requests in flight');
      await subgraph.drain(config.drain);
    });
  });
}
