/**
 * Apollo Server 5: a context function that puts the caller on
 * `context.identity`, for startStandaloneServer or any integration whose
 * context function gets Node's `{ req, res }` (expressMiddleware included).
 * A refusal is thrown as a GraphQLError carrying its code and HTTP status,
 * which Apollo Server answers as that status: a bad token is a 401, not a
 * GraphQL 200.
 *
 *   const kit = await createSubgraphKit(configFromEnv({ name: 'inventory' }));
 *   const server = new ApolloServer({ schema: protectSchema(buildSubgraphSchema({ typeDefs, resolvers }), { typeDefs }) });
 *   await startStandaloneServer(server, { context: kitContext(kit) });
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AUTH_COST_HEADER, emptySubgraphCost, formatSubgraphCost, type SubgraphCost } from '../auth-cost.js';
import { AuthError, toGraphQLError } from '../errors.js';
import type { Identity } from '../identity.js';
import type { IdentityContext, IdentitySource } from '../kit.js';

/** What Apollo Server's Node integrations hand a context function. */
export interface NodeContextArgs<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse> {
  req: Req;
  res: Res;
}

export interface KitContextOptions<Args extends NodeContextArgs, Extra extends object> {
  /** More context for resolvers, once the caller is known (and what finding out cost). */
  context?: (args: Args & { identity: Identity | null; cost: SubgraphCost }) => Extra | Promise<Extra>;
  /** Told of each refusal before it is answered (logs, metrics). */
  onRefused?: (error: AuthError, args: Args) => void;
}

/** A context function: `{ identity }` (plus what `options.context` adds), or the refusal as a GraphQLError with its HTTP status. */
export function kitContext<Args extends NodeContextArgs = NodeContextArgs, Extra extends object = object>(
  kit: IdentitySource,
  options: KitContextOptions<Args, Extra> = {},
): (args: Args) => Promise<IdentityContext & Extra> {
  return async (args) => {
    const cost = emptySubgraphCost();
    try {
      const identity = await kit.identify(args.req.headers, cost);
      const extra = options.context ? await options.context({ ...args, identity, cost }) : ({} as Extra);
      return { ...extra, identity };
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      options.onRefused?.(error, args);
      throw toGraphQLError(error);
    } finally {
      // The gateway adds this up per client request (auth-cost.ts).
      if (kit.reportsCost && !args.res.headersSent) args.res.setHeader(AUTH_COST_HEADER, formatSubgraphCost(cost));
    }
  };
}
