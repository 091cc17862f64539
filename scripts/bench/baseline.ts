/**
 * Variant (a), the yardstick: stock @apollo/gateway (IntrospectAndCompose,
 * the default RemoteGraphQLDataSource, no identity propagation) on the same
 * Express + Apollo Server adapter as ours, over the same subgraph code with
 * auth switched off (noAuthAuthenticator, from ./auth-off.ts with the other
 * switch, noAuthStrategy, for this gateway).
 */
import { ApolloGateway, IntrospectAndCompose, type SupergraphManager } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { Identity, SubgraphAuthenticator } from '@fedgw/subgraph-kit';
import { prepareSupergraph } from '../../gateway/authorization/prepare-supergraph.js';
import { listen, type RunningServer } from '../../shared/service/http.js';

export { BENCH_IDENTITY, noAuthAuthenticator, noAuthStrategy } from './auth-off.js';

/**
 * Stock IntrospectAndCompose, with one step: @apollo/gateway refuses a
 * supergraph that links the SECURITY specs (@authenticated, @requiresScopes,
 * @policy), so they are stripped the way our gateway strips them before
 * loading. Nothing enforces them here: (a) does no authorization.
 */
function loadableSupergraph(subgraphs: { name: string; url: string }[]): SupergraphManager {
  const compose = new IntrospectAndCompose({ subgraphs });
  return {
    async initialize(options) {
      const { supergraphSdl, cleanup } = await compose.initialize(options);
      return { supergraphSdl: prepareSupergraph(supergraphSdl).supergraphSdl, cleanup };
    },
  };
}

export async function startStockGateway(port: number, subgraphs: { name: string; url: string }[]): Promise<RunningServer> {
  // As in gateway/server.ts: @apollo/gateway 2.14 otherwise sends usage telemetry and probes cloud metadata endpoints.
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const gateway = new ApolloGateway({ supergraphSdl: loadableSupergraph(subgraphs) });
  const apollo = new ApolloServer({
    gateway,
    plugins: [ApolloServerPluginLandingPageDisabled()],
    includeStacktraceInErrorResponses: false,
  });
  await apollo.start();
  const app = express();
  app.disable('x-powered-by');
  app.use('/graphql', express.json({ limit: '1mb' }), expressMiddleware(apollo));
  const running = await listen(app, port);
  return {
    ...running,
    async close() {
      await running.close();
      await apollo.stop();
    },
  };
}
