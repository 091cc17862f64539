/**
 * Removes from an operation every field the caller may not select, so the
 * query planner never plans it and its subgraph is never asked.
 * Introspection (__schema, __type, __typename) is never filtered.
 */
import {
  Kind,
  TypeInfo,
  getNamedType,
  isAbstractType,
  visit,
  visitWithTypeInfo,
  type DefinitionNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** May the caller select `parentType.fieldName` (whose named type is `returnType`)? */
export type FieldAccess = (parentType: string, fieldName: string, returnType: string) => boolean;

export interface FilteredOperation {
  /** Whether any field was removed; if not, run the original operation. */
  removed: boolean;
  /** The operation and the fragments it uses, without the unauthorized fields; null when nothing authorized is left. */
  document: DocumentNode | null;
  /** The response key the added __typename fields use (TYPENAME_KEY, unless the client's document uses it). */
  typenameKey: string;
}

/** Response key of the __typename the shaping step needs on abstract types. */
export const TYPENAME_KEY = '__authzTypename';

/** TYPENAME_KEY, or a variant of it no field of `document` answers under: a client's own alias must not collide. */
function unusedTypenameKey(document: DocumentNode): string {
  const used = new Set<string>();
  visit(document, {
    Field(node) {
      used.add(node.alias?.value ?? node.name.value);
    },
  });
  let key = TYPENAME_KEY;
  for (let n = 1; used.has(key); n++) key = `${TYPENAME_KEY}_${n}`;
  return key;
}

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
 * __typename on every abstract type (under `typenameKey`), which shaping needs.
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
  const typenameKey = unusedTypenameKey(document);
  if (!removed) return { removed, document: null, typenameKey };

  const filteredOperation = filtered.definitions[0] as OperationDefinitionNode;
  const filteredFragments = new Map(
    filtered.definitions.slice(1).map((definition) => [(definition as FragmentDefinitionNode).name.value, definition as FragmentDefinitionNode]),
  );
  if (!selectsData(filteredOperation.selectionSet, filteredFragments)) return { removed, document: null, typenameKey };

  return { removed, document: addTypenames(schema, filtered, typenameKey), typenameKey };
}

function addTypenames(schema: GraphQLSchema, document: DocumentNode, typenameKey: string): DocumentNode {
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
          return { ...node, selections: [...node.selections, typenameField(typenameKey)] };
        },
      },
    }),
  );
}
