/**
 * Gateway-side authorization: @authenticated, @requiresScopes and @policy,
 * enforced before query planning with the shared rules
 * (shared/authorization/rules.ts), wired into @apollo/gateway:
 *
 * - prepare-supergraph.ts: the rules are read from every composed SDL, and
 *   the specs stock @apollo/gateway refuses are stripped from what it loads;
 * - filter-operation.ts: every field the caller may not select is removed,
 *   so the planner never plans it and its subgraph is never asked;
 * - shape-response.ts: the answer is shaped to the client's original
 *   operation, with null plus UNAUTHORIZED_FIELD_OR_TYPE where a field was
 *   removed. If nothing authorized is left, no subgraph is called at all.
 */
import { createHash } from 'node:crypto';
import type { ApolloGateway, SupergraphManager } from '@apollo/gateway';
import { Kind, buildASTSchema, parse, print, printSchema, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { fieldAccess, type AuthorizationRules, type DirectiveKind, type PolicyRegistry } from '@fedgw/subgraph-kit/authorization';
import type { Identity } from '@fedgw/subgraph-kit';
import type { Logger } from '../../shared/observability/logger.js';
import { FilterCache, identityFacts, type CachedFiltering } from './filter-cache.js';
import { filterOperation } from './filter-operation.js';
import { prepareSupergraph } from './prepare-supergraph.js';
import { shapeResponse } from './shape-response.js';

type Executor = ApolloGateway['executor'];
type ExecutorRequestContext = Parameters<Executor>[0];
type ExecutorResult = Awaited<ReturnType<Executor>>;
type ServedGateway = Pick<ApolloGateway, 'load' | 'onSchemaLoadOrUpdate' | 'stop'>;

export interface GatewayAuthorizationOptions {
  policies: PolicyRegistry;
  /** The caller of a request, from the gateway's context value. */
  identityOf(context: ExecutorRequestContext['context']): Identity | null;
  logger: Logger;
  /** Told of each field withheld from a request, once per field (the request's record). */
  onDenied?(directive: DirectiveKind, coordinate: string, context: ExecutorRequestContext['context']): void;
  /** Told of each response path where a withheld field is answered null (the auth trace). */
  onWithheld?(coordinate: string, path: (string | number)[], context: ExecutorRequestContext['context']): void;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export class GatewayAuthorization {
  /** Rules of the SDLs handed to the gateway and not yet loaded, by SDL text: the gateway passes that same text to onSchemaLoadOrUpdate. */
  private readonly pending = new Map<string, AuthorizationRules>();
  /** The schema the gateway serves and its rules, swapped together when the gateway swaps. */
  private current: { schema: GraphQLSchema; rules: AuthorizationRules; filtered: FilterCache } | undefined;

  constructor(private readonly options: GatewayAuthorizationOptions) {}

  /** Wraps the supergraph source: every SDL it hands the gateway (at start, on reload, for health checks) is prepared. */
  supergraphManager(manager: SupergraphManager): SupergraphManager {
    return {
      initialize: async (hooks) => {
        const result = await manager.initialize({
          ...hooks,
          update: (sdl) => hooks.update(this.prepare(sdl)),
          healthCheck: (sdl) => hooks.healthCheck(prepareSupergraph(sdl).supergraphSdl),
        });
        return { ...result, supergraphSdl: this.prepare(result.supergraphSdl) };
      },
    };
  }

  /** Wraps the gateway for Apollo Server: its executor enforces the rules before planning. */
  gateway(gateway: ApolloGateway): ServedGateway {
    gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => this.loaded(apiSchema, coreSupergraphSdl));
    return {
      onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
      stop: () => gateway.stop(),
      load: async (loadOptions) => {
        const loaded = await gateway.load(loadOptions);
        const executor = loaded.executor;
        return { ...loaded, executor: (requestContext) => this.authorize(executor, requestContext) };
      },
    };
  }

  private prepare(sdl: string): string {
    const prepared = prepareSupergraph(sdl);
    this.pending.set(prepared.supergraphSdl, prepared.rules);
    if (prepared.rules.size > 0) this.options.logger.info(`authorization: ${prepared.rules.size} schema coordinates carry rules`);
    return prepared.supergraphSdl;
  }

  private loaded(apiSchema: GraphQLSchema, coreSupergraphSdl: string): void {
    const rules = this.pending.get(coreSupergraphSdl);
    this.pending.clear();
    if (rules === undefined) {
      // Loaded around the wrapper: serving it unchecked would skip every rule.
      this.options.logger.error('authorization: the gateway loaded a supergraph whose rules were not read; refusing to serve it');
      this.current = undefined;
      return;
    }
    // A copy without resolvers: Apollo Server wraps the served schema's
    // resolvers, and shaping needs graphql-js's plain field resolution.
    // Filtered operations are remembered for these rules only (./filter-cache.ts).
    this.current = { schema: buildASTSchema(parse(printSchema(apiSchema))), rules, filtered: new FilterCache() };
  }

  private async authorize(executor: Executor, requestContext: ExecutorRequestContext): Promise<ExecutorResult> {
    // Fail closed: a schema whose rules were not read is not served.
    if (!this.current) throw new Error('authorization rules are not loaded');
    const { schema, rules } = this.current;
    // No rules; or no operation resolved (several and no operationName): the gateway answers that error itself.
    if (rules.size === 0 || !requestContext.operation) return executor(requestContext);

    const { onWithheld } = this.options;
    const context = requestContext.context;
    const { filtering, access } = this.filtering(requestContext);
    const { filtered, printed } = filtering;
    if (!filtered.removed) return executor(requestContext);

    let result: ExecutorResult = {};
    if (filtered.document && printed) {
      result = await executor({
        ...requestContext,
        document: filtered.document,
        operation: filtered.document.definitions[0] as OperationDefinitionNode,
        // The gateway caches query plans by this hash: the filtered operation is another query.
        ...printed,
      });
      // No data at all (the gateway refused the request): its errors say why.
      if (!result.data) return result;
    }
    const { operationName, variables } = requestContext.request;
    const withheld = onWithheld && ((coordinate: string, path: (string | number)[]) => onWithheld(coordinate, path, context));
    const shaped = shapeResponse(schema, requestContext.document, operationName, variables, result.data ?? {}, access, filtered.typenameKey, withheld);
    const errors = [...(result.errors ?? []), ...shaped.errors];
    return { ...result, data: shaped.data, ...(errors.length > 0 ? { errors } : {}) };
  }

  /**
   * The operation filtered for this caller, from the cache when the same operation was filtered for a
   * caller with the same identity facts (its denials told again, for this request), and the caller's
   * field access for shaping the answer (a field denied there and not in filtering is told then).
   */
  private filtering(requestContext: ExecutorRequestContext): { filtering: CachedFiltering; access: ReturnType<typeof fieldAccess> } {
    const { schema, rules, filtered: cache } = this.current!;
    const { onDenied, policies, identityOf } = this.options;
    const { context, document } = requestContext;
    const operation = requestContext.operation!;
    const identity = identityOf(context);
    const facts = identityFacts(identity);
    const tell = (directive: DirectiveKind, coordinate: string) => onDenied?.(directive, coordinate, context);
    const cached = cache.get(document, operation, facts);
    if (cached) {
      for (const [directive, coordinate] of cached.denials) tell(directive, coordinate);
      const told = new Set(cached.denials.map(([, coordinate]) => coordinate));
      return { filtering: cached, access: fieldAccess(rules, policies, identity, (directive, coordinate) => told.has(coordinate) || tell(directive, coordinate)) };
    }
    const denials: [DirectiveKind, string][] = [];
    let filtering = true;
    const access = fieldAccess(rules, policies, identity, (directive, coordinate) => {
      if (filtering) denials.push([directive, coordinate]);
      tell(directive, coordinate);
    });
    const fragments = document.definitions.filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION);
    const filtered = filterOperation(schema, operation, fragments, access);
    filtering = false;
    const source = filtered.removed && filtered.document ? print(filtered.document) : undefined;
    const entry: CachedFiltering = { filtered, denials, ...(source !== undefined ? { printed: { source, queryHash: sha256(source) } } : {}) };
    cache.set(document, operation, facts, entry);
    return { filtering: entry, access };
  }
}
