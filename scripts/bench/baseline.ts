/**
 * Variant (a), the yardstick: stock @apollo/gateway (IntrospectAndCompose,
 * the default RemoteGraphQLDataSource, no identity propagation) on the same
 * Express + Apollo Server adapter as ours, over the same subgraph code with
 * auth switched off; and the two switches that turn auth off.
 *
 * "Auth off" in a subgraph is a programmatic authenticator handed to
 * startSubgraph: it reads nothing from the request and answers a fixed
 * caller, so resolvers do exactly the work they do for that caller in the
 * other variants and only the cost of authentication differs. "Auth off" in
 * this gateway is a programmatic strategy handed to startGateway
 * (GatewayOptions.strategy): every request is that caller, nothing is read
 * from it and nothing is added to subgraph fetches. Both exist only here: no
 * environment variable or config value can select them.
 */
import { ApolloGateway, IntrospectAndCompose, type SupergraphManager } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { prepareSupergraph } from '../../gateway/authorization/prepare-supergraph.js';
import { listen, type RunningServer } from '../../shared/service/http.js';
import type { Identity } from '../../shared/identity.js';
import type { GatewayAuthStrategy, SubgraphAuthenticator } from '../../shared/auth-modes/contract.js';

/** The benchmark's caller (demo user alice): what every variant answers for. */
export const BENCH_IDENTITY: Identity = Object.freeze({ kind: 'user', id: 'u1', scopes: Object.freeze(['admin']) as string[] });

export function noAuthAuthenticator(identity: Identity = BENCH_IDENTITY): SubgraphAuthenticator {
  return {
    identify: async () => identity,
    readiness: async () => ({ ok: true }),
    close: async () => {},
  };
}

/** This gateway with authentication switched off: every client request is the benchmark's caller; subgraph fetches carry no identity. */
export function noAuthStrategy(identity: Identity = BENCH_IDENTITY): GatewayAuthStrategy {
  const caller = Object.freeze({ identity });
  const notHere = async (_req: unknown, res: { status(code: number): { json(body: unknown): unknown } }) => {
    res.status(501).json({ error: { code: 'NOT_IMPLEMENTED', message: 'the benchmark runs this gateway with authentication switched off' } });
  };
  return {
    authenticate: async () => caller,
    propagation: { headersFor: async () => ({}) },
    middleware: [],
    signIn: notHere,
    signOut: notHere,
    readiness: async () => ({ ok: true }),
    close: async () => {},
  };
}

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
