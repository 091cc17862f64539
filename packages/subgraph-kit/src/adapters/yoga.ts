/**
 * graphql-yoga 5: a plugin that puts the caller on `context.identity`. A
 * request to the GraphQL endpoint is identified before anything is parsed;
 * a refusal is answered there as an HTTP error with its code (a 401 or a
 * 503, `{"errors":[{"message","extensions":{"code"}}]}`), so no operation
 * of a refused request runs.
 *
 *   const kit = await createSubgraphKit(configFromEnv({ name: 'inventory' }));
 *   const yoga = createYoga({ schema: protectSchema(buildSubgraphSchema({ typeDefs, resolvers }), { typeDefs }), plugins: [useSubgraphKit(kit)] });
 *   createServer(yoga).listen(4010);
 */
import type { Plugin } from 'graphql-yoga';
import { AUTH_COST_HEADER, emptySubgraphCost, formatSubgraphCost, type SubgraphCost } from '../auth-cost.js';
import { AuthError, toGraphQLError } from '../errors.js';
import type { Identity } from '../identity.js';
import type { BoundRequest, IdentityContext, IdentitySource } from '../kit.js';

export interface SubgraphKitPluginOptions {
  /** Told of each refusal before it is answered (logs, metrics). */
  onRefused?: (error: AuthError, request: Request) => void;
}

type Outcome = { identity: Identity | null; cost: SubgraphCost } | { failure: unknown; cost: SubgraphCost };

export function useSubgraphKit(kit: IdentitySource, options: SubgraphKitPluginOptions = {}): Plugin<IdentityContext> {
  const outcomes = new WeakMap<Request, Outcome>();
  let endpoint = '/graphql';

  const identify = async (request: Request): Promise<Outcome> => {
    const cost = emptySubgraphCost();
    try {
      return { identity: await kit.identify(request.headers, cost, kit.requestBinding ? await boundRequest(request) : undefined), cost };
    } catch (failure) {
      return { failure, cost };
    }
  };
  const costHeaders = (cost: SubgraphCost): Record<string, string> => (kit.reportsCost ? { [AUTH_COST_HEADER]: formatSubgraphCost(cost) } : {});

  return {
    onYogaInit({ yoga }) {
      endpoint = yoga.graphqlEndpoint;
    },
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== endpoint) return;
      const outcome = await identify(request);
      if ('failure' in outcome && outcome.failure instanceof AuthError) {
        const error = outcome.failure;
        options.onRefused?.(error, request);
        endResponse(
          new fetchAPI.Response(JSON.stringify({ errors: [{ message: error.message, extensions: { code: error.code } }] }), {
            status: error.status,
            headers: { 'content-type': 'application/json; charset=utf-8', ...costHeaders(outcome.cost) },
          }),
        );
        return;
      }
      outcomes.set(request, outcome);
    },
    async onContextBuilding({ context, extendContext }) {
      // Identified in onRequest; a request another plugin replaced is identified now.
      let outcome = outcomes.get(context.request);
      if (!outcome) {
        outcome = await identify(context.request);
        outcomes.set(context.request, outcome);
      }
      if ('failure' in outcome) {
        if (outcome.failure instanceof AuthError) {
          options.onRefused?.(outcome.failure, context.request);
          throw toGraphQLError(outcome.failure);
        }
        throw outcome.failure;
      }
      extendContext({ identity: outcome.identity });
    },
    onResponse({ request, response }) {
      const outcome = outcomes.get(request);
      if (outcome) for (const [name, value] of Object.entries(costHeaders(outcome.cost))) response.headers.set(name, value);
    },
  };
}

/** Request binding: the request proof covers the body's bytes, read from a copy so yoga can still read the request. */
async function boundRequest(request: Request): Promise<BoundRequest> {
  return { method: request.method, path: new URL(request.url).pathname, body: new Uint8Array(await request.clone().arrayBuffer()) };
}
