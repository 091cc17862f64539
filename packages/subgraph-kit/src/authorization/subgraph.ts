/** The subgraph side of authorization: the rules of a subgraph's own type definitions (rules.ts), around its resolvers. */
import { defaultFieldResolver, getNamedType, isIntrospectionType, isObjectType, parse, type DocumentNode, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import type { Identity } from '../identity.js';
import { createPolicyRegistry, denyingCheck, fieldChecks, readAuthorizationRules, unauthorizedError, type DenialObserver, type Policy, type PolicyRegistry } from './rules.js';

/**
 * Defence in depth for a subgraph: wraps the resolver of every field a rule
 * applies to, so a request that reaches the subgraph some other way than
 * through the gateway's filter still gets null plus UNAUTHORIZED_FIELD_OR_TYPE
 * there, and the resolver is never called. Rules come from the subgraph's own
 * type definitions. Mutates and returns `schema`.
 */
export function protectSubgraphSchema(
  schema: GraphQLSchema,
  typeDefs: DocumentNode,
  policies: PolicyRegistry,
  onDenied?: DenialObserver,
): GraphQLSchema {
  const rules = readAuthorizationRules(typeDefs);
  if (rules.size === 0) return schema;
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || isIntrospectionType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const checks = fieldChecks(rules, type.name, field.name, getNamedType(field.type).name);
      if (checks.length === 0) continue;
      const resolve: GraphQLFieldResolver<unknown, { identity?: Identity | null }> = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context: { identity?: Identity | null }, info) => {
        const denying = denyingCheck(checks, context.identity ?? null, policies);
        if (denying) {
          onDenied?.(denying.kind, `${type.name}.${field.name}`, context);
          throw unauthorizedError();
        }
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}

export interface ProtectSchemaOptions {
  /** The subgraph's own type definitions (as given to buildSubgraphSchema): the rules are read from them. */
  typeDefs: DocumentNode | string;
  /**
   * The subgraph's @policy functions, by name. A policy the schema names but
   * this list lacks denies (and is logged once).
   */
  policies?: Readonly<Record<string, Policy>>;
  /** Instead of `policies`: a registry made with createPolicyRegistry (shared with other code). */
  registry?: PolicyRegistry;
  /** Where an unknown or throwing policy is reported, once per name (default: console.warn). */
  warn?: (message: string) => void;
  /** Told which directive withheld which field (`context` is the resolver context). */
  onDenied?: DenialObserver;
}

/**
 * @authenticated, @requiresScopes and @policy, enforced on a subgraph's own
 * schema: a field the caller (`context.identity`, as every adapter sets it)
 * may not see resolves to null with UNAUTHORIZED_FIELD_OR_TYPE, and its
 * resolver never runs. Mutates and returns `schema`.
 *
 *   const schema = protectSchema(buildSubgraphSchema({ typeDefs, resolvers }), { typeDefs, policies: { employee: (identity) => … } });
 */
export function protectSchema(schema: GraphQLSchema, options: ProtectSchemaOptions): GraphQLSchema {
  const typeDefs = typeof options.typeDefs === 'string' ? parse(options.typeDefs) : options.typeDefs;
  const policies = options.registry ?? createPolicyRegistry(options.policies ?? {}, options.warn ?? ((message) => console.warn(message)));
  return protectSubgraphSchema(schema, typeDefs, policies, options.onDenied);
}
