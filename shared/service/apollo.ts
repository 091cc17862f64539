/**
 * The Apollo Server defaults of every process (the gateway and each
 * subgraph): its logs as our JSON lines, no landing page (Apollo's loads its
 * Sandbox from a CDN; the gateway serves its own playground), no stack
 * traces in responses, production error masking (error-hygiene.ts), and
 * the operation observer that records how each operation ended.
 */
import type { ApolloServer, ApolloServerOptionsWithSchema, ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import type { Request, RequestHandler, Response } from 'express';
import { AuthError, toGraphQLError } from '@fedgw/subgraph-kit';
import { apolloLogger, type Logger } from '../observability/logger.js';
import { operationObserver, type ObservedContext } from '../observability/operation-observer.js';
import type { RequestRecord } from '../observability/request-record.js';
import { publicErrorFormatter } from './error-hygiene.js';

type Defaults<TContext extends BaseContext> = Pick<
  ApolloServerOptionsWithSchema<TContext>,
  'logger' | 'includeStacktraceInErrorResponses' | 'formatError' | 'plugins' | 'stopOnTerminationSignals'
>;

export function apolloDefaults<TContext extends ObservedContext>(options: {
  logger: Logger;
  production: boolean;
  /** The process's own plugins, after the shared ones. */
  plugins?: ApolloServerPlugin<TContext>[];
}): Defaults<TContext> {
  const { logger } = options;
  return {
    logger: apolloLogger(logger),
    // The process drains on SIGTERM itself (lifecycle.ts): Apollo's own handler would
    // stop the server and re-raise the signal before the drain could finish.
    stopOnTerminationSignals: false,
    // Stack traces belong in the logs, never in a client's response.
    includeStacktraceInErrorResponses: false,
    // In production no internal message, path or stack reaches a client.
    formatError: publicErrorFormatter({ production: options.production, log: (message) => logger.error(message) }),
    plugins: [ApolloServerPluginLandingPageDisabled(), operationObserver<TContext>(), ...(options.plugins ?? [])],
  };
}

/**
 * Who is asking, for one GraphQL request: the process's authentication,
 * given the request's record to note the caller on. Throws AuthError to
 * refuse the request.
 */
export type Authenticate<TContext> = (req: Request, res: Response, record: RequestRecord) => Promise<TContext>;

/**
 * The gateway's /graphql over Apollo Server: authenticate, and on a refusal
 * put it on the record and answer it as an HTTP error with its code (a bad
 * token is a 401, not a GraphQL 200). Subgraphs do the same through the
 * kit's context function (@fedgw/subgraph-kit/apollo, shared/subgraph-server.ts).
 */
export function graphqlHandler<TContext extends BaseContext>(apollo: ApolloServer<TContext>, authenticate: Authenticate<TContext>): RequestHandler {
  return expressMiddleware(apollo, {
    context: async ({ req, res }) => {
      const record = req.observed!;
      try {
        return await authenticate(req, res, record);
      } catch (error) {
        if (!(error instanceof AuthError)) throw error;
        record.refuse(error, 'graphql');
        throw toGraphQLError(error);
      }
    },
  });
}
