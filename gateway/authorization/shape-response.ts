/**
 * Shapes what the gateway fetched for a filtered operation back into the
 * client's original operation: null plus UNAUTHORIZED_FIELD_OR_TYPE (with
 * its path) where a field was removed, with normal null propagation.
 */
import { execute, getNamedType, responsePathAsArray, type DocumentNode, type GraphQLError, type GraphQLSchema } from 'graphql';
import { UNAUTHORIZED_CODE, unauthorizedError } from '@fedgw/subgraph-kit/authorization';
import { TYPENAME_KEY, type FieldAccess } from './filter-operation.js';

/**
 * The client's operation, executed over `data` (what the gateway fetched for
 * the filtered operation, or {} when nothing was fetched): a removed field
 * raises UNAUTHORIZED_FIELD_OR_TYPE at its own path, and graphql-js applies
 * the usual null propagation. Only those errors are kept: anything else
 * already came from the gateway.
 */
export function shapeResponse(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown> | undefined,
  data: Record<string, unknown>,
  access: FieldAccess,
  /** Where filterOperation put the type names of abstract values. */
  typenameKey: string = TYPENAME_KEY,
  /** Told of each place a field is answered null for the caller: its coordinate and response path. */
  onWithheld?: (coordinate: string, path: (string | number)[]) => void,
): { data: Record<string, unknown> | null; errors: GraphQLError[] } {
  const result = execute({
    schema,
    document,
    operationName,
    variableValues: variables,
    rootValue: data,
    fieldResolver: (source: Record<string, unknown> | null | undefined, _args, _context, info) => {
      if (!access(info.parentType.name, info.fieldName, getNamedType(info.returnType).name)) {
        onWithheld?.(`${info.parentType.name}.${info.fieldName}`, responsePathAsArray(info.path));
        throw unauthorizedError();
      }
      return source?.[info.path.key as string];
    },
    typeResolver: (value: Record<string, unknown> | null | undefined) => (value?.[typenameKey] ?? value?.__typename) as string | undefined,
  });
  // The gateway's schema has no async resolvers: execution is synchronous.
  if (result instanceof Promise) throw new Error('unexpected asynchronous shaping');
  return {
    data: (result.data as Record<string, unknown> | null | undefined) ?? null,
    errors: (result.errors ?? []).filter((error) => error.extensions?.code === UNAUTHORIZED_CODE),
  };
}
