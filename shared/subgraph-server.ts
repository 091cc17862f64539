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
import type { DocumentNode } from 'graphql';
import { loadSubgraphConfig, runMain, type SubgraphConfig } from './config.js';
import { AUTH_COST_HEADER, emptySubgraphCost, formatSubgraphCost } from './auth-cost.js';
import { createPolicyRegistry, protectSubgraphSchema } from './authorization.js';
import { AuthError, toGraphQLError } from './errors.js';
import { jsonErrorHandler, listen, type RunningServer } from './http.js';
import type { Identity } from './identity.js';
import { POLICIES } from './policies.js';
import { jsonFallback, publicErrorFormatter } from './error-hygiene.js';
import { createSubgraphAuthenticator } from './subgraph-auth.js';

export interface SubgraphContext {
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
}

export async function startSubgraph(definition: SubgraphDefinition, config: SubgraphConfig): Promise<RunningSubgraph> {
  const auth = await createSubgraphAuthenticator(config);
  const apollo = new ApolloServer<SubgraphContext>({
    // The schema's @authenticated/@requiresScopes/@policy, enforced here too (shared/authorization.ts).
    schema: protectSubgraphSchema(
      buildSubgraphSchema([{ typeDefs: definition.typeDefs, resolvers: definition.resolvers }]),
      definition.typeDefs,
      createPolicyRegistry(POLICIES, (message) => console.warn(`${definition.name}: ${message}`)),
    ),
    // No Apollo usage reporting here, so no inline traces to compute.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled()],
    includeStacktraceInErrorResponses: false,
    // In production a resolver's internal message never leaves the subgraph (shared/error-hygiene.ts).
    formatError: publicErrorFormatter({ production: config.production, log: (message) => console.error(`${definition.name}: ${message}`) }),
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
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const cost = emptySubgraphCost();
        try {
          const identity = await auth.identify(req, cost);
          return { identity };
        } catch (error) {
          if (error instanceof AuthError) throw toGraphQLError(error);
          throw error;
        } finally {
          // The gateway adds this up per client request (see shared/auth-cost.ts).
          if (!config.production) res.setHeader(AUTH_COST_HEADER, formatSubgraphCost(cost));
        }
      },
    }),
  );
  app.use(jsonFallback({ '/healthz': 'GET, HEAD', '/readyz': 'GET, HEAD' }));
  app.use(jsonErrorHandler);

  const running = await listen(app, config.port);
  return {
    ...running,
    name: definition.name,
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
    const subgraph = await startSubgraph(definition, config);
    console.log(`${definition.name} subgraph listening on http://localhost:${subgraph.port}/graphql (AUTH_MODE=${config.authMode})`);
    const stop = () => {
      void subgraph.close().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
