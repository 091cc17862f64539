/**
 * Gateway-side authorization: @authenticated, @requiresScopes and @policy,
 * enforced before query planning with the shared rules
 * (shared/authorization.ts).
 *
 * - prepareSupergraph: stock @apollo/gateway refuses a supergraph that links
 *   the SECURITY specs, so the rules are read from the composed SDL and the
 *   specs are stripped from what the gateway loads.
 * - filterOperation: removes every field the caller may not select, so the
 *   query planner never plans it and its subgraph is never asked.
 * - the executor wrapper: runs the filtered operation through the gateway,
 *   then shapes the answer to the client's original operation: null plus an
 *   UNAUTHORIZED_FIELD_OR_TYPE error (with its path) where a field was
 *   removed, with normal null propagation. If nothing authorized is left, no
 *   subgraph is called at all.
 * Introspection (__schema, __type, __typename) is never filtered.
 */
import { createHash } from 'node:crypto';
import type { ApolloGateway, SupergraphManager } from '@apollo/gateway';
import {
  Kind,
  TypeInfo,
  buildASTSchema,
  execute,
  getNamedType,
  isAbstractType,
  parse,
  print,
  printSchema,
  visit,
  visitWithTypeInfo,
  type DefinitionNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import {
  UNAUTHORIZED_CODE,
  authorizationDirectiveNames,
  fieldAccess,
  linkedAuthorizationSpecs,
  readAuthorizationRules,
  unauthorizedError,
  type AuthorizationRules,
  type DirectiveKind,
  type PolicyRegistry,
} from '../shared/authorization.js';
import type { Identity } from '../shared/identity.js';
import type { Logger } from './logger.js';

// ---------------------------------------------------------------------------
// Supergraph

export interface PreparedSupergraph {
  /** What @apollo/gateway can load: the supergraph without the SECURITY specs. */
  supergraphSdl: string;
  rules: AuthorizationRules;
}

/** Pure: the rules of a composed supergraph, and that supergraph without the specs the gateway refuses. */
export function prepareSupergraph(composedSdl: string): PreparedSupergraph {
  const document = parse(composedSdl);
  const specs = linkedAuthorizationSpecs(document);
  if (specs.length === 0) return { supergraphSdl: composedSdl, rules: new Map() };
  const rules = readAuthorizationRules(document);
  const directives = authorizationDirectiveNames(document);
  const links = new Set<unknown>(specs.map((spec) => spec.node));
  // The specs' own types (requiresScopes__Scope, policy__Policy).
  const ownedType = (name: string) => specs.some((spec) => name.startsWith(`${spec.prefix}__`));
  const stripped = visit(document, {
    Directive: (node) => (links.has(node) || directives.has(node.name.value) ? null : undefined),
    DirectiveDefinition: (node) => (directives.has(node.name.value) ? null : undefined),
    ScalarTypeDefinition: (node) => (ownedType(node.name.value) ? null : undefined),
  });
  return { supergraphSdl: print(stripped), rules };
}

// ---------------------------------------------------------------------------
// Operation filtering

/** May the caller select `parentType.fieldName` (whose named type is `returnType`)? */
export type FieldAccess = (parentType: string, fieldName: string, returnType: string) => boolean;

export interface FilteredOperation {
  /** Whether any field was removed; if not, run the original operation. */
  removed: boolean;
  /** The operation and the fragments it uses, without the unauthorized fields; null when nothing authorized is left. */
  document: DocumentNode | null;
}

/** Response key of the __typename the shaping step needs on abstract types. */
const TYPENAME_KEY = '__authzTypename';

const typenameField = (alias?: string): FieldNode => ({
  kind: Kind.FIELD,
  name: { kind: Kind.NAME, value: '__typename' },
  ...(alias ? { alias: { kind: Kind.NAME, value: alias } } : {}),
});

function fragmentsUsedBy(root: DefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): FragmentDefinitionNode[] {
  const used = new Map<string, FragmentDefinitionNode>();
  const pending: DefinitionNode[] = [root];
  while (pending.length > 0) {
    visit(pending.pop()!, {
      FragmentSpread(node) {
        const fragment = fragments.get(node.name.value);
        if (fragment && !used.has(fragment.name.value)) {
          used.set(fragment.name.value, fragment);
          pending.push(fragment);
        }
      },
    });
  }
  return [...used.values()];
}

/** Whether a root selection set still asks for data (anything but __typename / introspection). */
function selectsData(selectionSet: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): boolean {
  return selectionSet.selections.some((selection) => {
    switch (selection.kind) {
      case Kind.FIELD:
        return !selection.name.value.startsWith('__');
      case Kind.INLINE_FRAGMENT:
        return selectsData(selection.selectionSet, fragments);
      case Kind.FRAGMENT_SPREAD: {
        const fragment = fragments.get(selection.name.value);
        return fragment !== undefined && selectsData(fragment.selectionSet, fragments);
      }
    }
  });
}

/**
 * Removes from `operation` (and the fragments it uses) every field the caller
 * may not select. A selection set left empty asks for __typename instead, so
 * the authorized parent is still fetched. The result also asks for
 * __typename on every abstract type, which shaping needs.
 */
export function filterOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  allFragments: readonly FragmentDefinitionNode[],
  access: FieldAccess,
): FilteredOperation {
  const byName = new Map(allFragments.map((fragment) => [fragment.name.value, fragment]));
  const document: DocumentNode = { kind: Kind.DOCUMENT, definitions: [operation, ...fragmentsUsedBy(operation, byName)] };

  let removed = false;
  const typeInfo = new TypeInfo(schema);
  const filtered = visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field: {
        enter(node) {
          // Introspection is not filtered (README); __typename never needs a subgraph.
          if (node.name.value.startsWith('__')) return false;
          const parent = typeInfo.getParentType();
          const field = typeInfo.getFieldDef();
          if (!parent || !field) return undefined; // the operation was validated: cannot happen
          if (access(parent.name, field.name, getNamedType(field.type).name)) return undefined;
          removed = true;
          return null;
        },
      },
      SelectionSet: {
        leave(node) {
          return node.selections.length === 0 ? { ...node, selections: [typenameField()] } : undefined;
        },
      },
    }),
  );
  if (!removed) return { removed, document: null };

  const filteredOperation = filtered.definitions[0] as OperationDefinitionNode;
  const filteredFragments = new Map(
    filtered.definitions.slice(1).map((definition) => [(definition as FragmentDefinitionNode).name.value, definition as FragmentDefinitionNode]),
  );
  if (!selectsData(filteredOperation.selectionSet, filteredFragments)) return { removed, document: null };

  return { removed, document: addTypenames(schema, filtered) };
}

function addTypenames(schema: GraphQLSchema, document: DocumentNode): DocumentNode {
  const typeInfo = new TypeInfo(schema);
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        if (node.name.value.startsWith('__')) return false;
        return undefined;
      },
      SelectionSet: {
        leave(node) {
          // During leave, the parent type is still this selection set's type.
          if (!isAbstractType(typeInfo.getParentType())) return undefined;
          return { ...node, selections: [...node.selections, typenameField(TYPENAME_KEY)] };
        },
      },
    }),
  );
}

// ---------------------------------------------------------------------------
// Shaping the response

/**
 * The client's operation, executed over `data` (what the gateway fetched for
 * the filtered operation, or {} when nothing was fetched): a removed field
 * raises UNAUTHORIZED_FIELD_OR_TYPE at its own path, and graphql-js applies
 * the usual null propagation. Only those errors are kept: anything else
 * already came from the gateway.
 */
function shapeResponse(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown> | undefined,
  data: Record<string, unknown>,
  access: FieldAccess,
): { data: Record<string, unknown> | null; errors: GraphQLError[] } {
  const result = execute({
    schema,
    document,
    operationName,
    variableValues: variables,
    rootValue: data,
    fieldResolver: (source: Record<string, unknown> | null | undefined, _args, _context, info) => {
      if (!access(info.parentType.name, info.fieldName, getNamedType(info.returnType).name)) throw unauthorizedError();
      return source?.[info.path.key as string];
    },
    typeResolver: (value: { __typename?: string; [TYPENAME_KEY]?: string }) => value?.[TYPENAME_KEY] ?? value?.__typename,
  });
  // The gateway's schema has no async resolvers: execution is synchronous.
  if (result instanceof Promise) throw new Error('unexpected asynchronous shaping');
  return {
    data: (result.data as Record<string, unknown> | null | undefined) ?? null,
    errors: (result.errors ?? []).filter((error) => error.extensions?.code === UNAUTHORIZED_CODE),
  };
}

// ---------------------------------------------------------------------------
// Wiring into @apollo/gateway

type Executor = ApolloGateway['executor'];
type ExecutorRequestContext = Parameters<Executor>[0];
type ExecutorResult = Awaited<ReturnType<Executor>>;

export interface GatewayAuthorizationOptions {
  policies: PolicyRegistry;
  /** The caller of a request, from the gateway's context value. */
  identityOf(context: ExecutorRequestContext['context']): Identity | null;
  logger: Logger;
  /** Told of each field withheld from a request, once per field (metrics, the access line). */
  onDenied?(directive: DirectiveKind, coordinate: string, context: ExecutorRequestContext['context']): void;
}

export interface GatewayAuthorization {
  /** Wraps the supergraph source: every SDL it hands the gateway (at start, on reload, for health checks) is prepared. */
  supergraphManager(manager: SupergraphManager): SupergraphManager;
  /** Wraps the gateway for Apollo Server: its executor enforces the rules before planning. */
  gateway(gateway: ApolloGateway): Pick<ApolloGateway, 'load' | 'onSchemaLoadOrUpdate' | 'stop'>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function createGatewayAuthorization(options: GatewayAuthorizationOptions): GatewayAuthorization {
  // Rules of the SDLs handed to the gateway and not yet loaded, by SDL text:
  // the gateway passes that same text to onSchemaLoadOrUpdate.
  const pending = new Map<string, AuthorizationRules>();
  // The schema the gateway serves and its rules, swapped together when the gateway swaps.
  let current: { schema: GraphQLSchema; rules: AuthorizationRules } | undefined;

  const prepare = (sdl: string) => {
    const prepared = prepareSupergraph(sdl);
    pending.set(prepared.supergraphSdl, prepared.rules);
    if (prepared.rules.size > 0) options.logger.info(`authorization: ${prepared.rules.size} schema coordinates carry rules`);
    return prepared.supergraphSdl;
  };

  async function authorize(executor: Executor, requestContext: ExecutorRequestContext): Promise<ExecutorResult> {
    // Fail closed: a schema whose rules were not read is not served.
    if (!current) throw new Error('authorization rules are not loaded');
    const { schema, rules } = current;
    // No rules; or no operation resolved (several and no operationName): the gateway answers that error itself.
    if (rules.size === 0 || !requestContext.operation) return executor(requestContext);

    const onDenied = options.onDenied;
    const access = fieldAccess(
      rules,
      options.policies,
      options.identityOf(requestContext.context),
      onDenied && ((directive, coordinate) => onDenied(directive, coordinate, requestContext.context)),
    );
    const fragments = requestContext.document.definitions.filter(
      (definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION,
    );
    const filtered = filterOperation(schema, requestContext.operation, fragments, access);
    if (!filtered.removed) return executor(requestContext);

    const { operationName, variables } = requestContext.request;
    let data: Record<string, unknown> = {};
    let result: ExecutorResult = {};
    if (filtered.document) {
      const source = print(filtered.document);
      result = await executor({
        ...requestContext,
        document: filtered.document,
        operation: filtered.document.definitions[0] as OperationDefinitionNode,
        source,
        // The gateway caches query plans by this hash: the filtered operation is another query.
        queryHash: sha256(source),
      });
      // No data at all (the gateway refused the request): its errors say why.
      if (!result.data) return result;
      data = result.data;
    }
    const shaped = shapeResponse(schema, requestContext.document, operationName, variables, data, access);
    const errors = [...(result.errors ?? []), ...shaped.errors];
    return { ...result, data: shaped.data, ...(errors.length > 0 ? { errors } : {}) };
  }

  return {
    supergraphManager(manager) {
      return {
        initialize: async (hooks) => {
          const result = await manager.initialize({
            ...hooks,
            update: (sdl) => hooks.update(prepare(sdl)),
            healthCheck: (sdl) => hooks.healthCheck(prepareSupergraph(sdl).supergraphSdl),
          });
          return { ...result, supergraphSdl: prepare(result.supergraphSdl) };
        },
      };
    },
    gateway(gateway) {
      gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
        const rules = pending.get(coreSupergraphSdl);
        pending.clear();
        if (rules === undefined) {
          // Loaded around the wrapper: serving it unchecked would skip every rule.
          options.logger.error('authorization: the gateway loaded a supergraph whose rules were not read; refusing to serve it');
          current = undefined;
          return;
        }
        // A copy without resolvers: Apollo Server wraps the served schema's
        // resolvers, and shaping needs graphql-js's plain field resolution.
        current = { schema: buildASTSchema(parse(printSchema(apiSchema))), rules };
      });
      return {
        onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
        stop: () => gateway.stop(),
        load: async (loadOptions) => {
          const loaded = await gateway.load(loadOptions);
          const executor = loaded.executor;
          return { ...loaded, executor: (requestContext) => authorize(executor, requestContext) };
        },
      };
    },
  };
}
