/** The subgraph side of authorization: the rules of a subgraph's own type definitions (rules.ts), around its resolvers. */
import { defaultFieldResolver, getNamedType, isIntrospectionType, isObjectType, type DocumentNode, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import type { Identity } from '../identity.js';
import { denyingCheck, fieldChecks, readAuthorizationRules, unauthorizedError, type DenialObserver, type PolicyRegistry } from './rules.js';

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
