/**
 * Apollo Server 5: a context function that puts the caller on
 * `context.identity`, for startStandaloneServer or any integration whose
 * context function gets Node's `{ req, res }` (expressMiddleware included).
 * A refusal is thrown as a GraphQLError carrying its code and HTTP status,
 * which Apollo Server answers as that status: a bad token is a 401, not a
 * GraphQL 200. With request binding on, the request proof is checked
 * against `req.rawBody` when a body parser kept it, else `req.body`.
 *
 *   const kit = await createSubgraphKit(configFromEnv({ name: 'inventory' }));
 *   const server = new ApolloServer({ schema: protectSchema(buildSubgraphSchema({ typeDefs, resolvers }), { typeDefs }) });
 *   await startStandaloneServer(server, { context: kitContext(kit) });
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AUTH_COST_HEADER, emptySubgraphCost, formatSubgraphCost, type SubgraphCost } from '../auth-cost.js';
import { AUTH_HOPS_HEADER, formatHops, type DownstreamHop } from '../auth-hops.js';
import { AuthError, toGraphQLError } from '../errors.js';
import type { Identity } from '../identity.js';
import type { DownstreamCalls } from '../downstream-calls.js';
import type { IdentityContext, IdentitySource } from '../kit.js';
import { nodeRequest } from '../request-proof.js';

/** What Apollo Server's Node integrations hand a context function. */
export interface NodeContextArgs<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse> {
  req: Req;
  res: Res;
}

export interface KitContextOptions<Args extends NodeContextArgs, Extra extends object> {
  /** More context for resolvers, once the caller is known (what finding out cost, and calls on their behalf). */
  context?: (args: Args & { identity: Identity | null; cost: SubgraphCost; downstream?: DownstreamCalls }) => Extra | Promise<Extra>;
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
    // The calls to downstream services, for the gateway's auth trace (auth-hops.ts): only when reported.
    const hops: DownstreamHop[] | undefined = kit.reportsCost ? [] : undefined;
    // The gateway adds this up per client request (auth-cost.ts); a downstream call during execution adds to it.
    const report = () => {
      if (!hops || args.res.headersSent) return;
      args.res.setHeader(AUTH_COST_HEADER, formatSubgraphCost(cost));
      if (hops.length > 0) args.res.setHeader(AUTH_HOPS_HEADER, formatHops(hops));
    };
    try {
      // Request binding checks the body's digest: the integrations have parsed it into req.body by now.
      const identity = await kit.identify(args.req.headers, cost, kit.requestBinding ? nodeRequest(args.req) : undefined);
      const downstream = kit.downstream?.(args.req.headers, cost, report, hops);
      const extra = options.context ? await options.context({ ...args, identity, cost, downstream }) : ({} as Extra);
      return { ...extra, identity, ...(downstream ? { downstream } : {}) };
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      options.onRefused?.(error, args);
      throw toGraphQLError(error);
    } finally {
      report();
    }
  };
}
