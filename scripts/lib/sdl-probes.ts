/**
 * What the conformance checker (scripts/check-subgraph.ts) reads from a
 * subgraph's own SDL (`_service { sdl }`) to ask questions whose answers
 * show something:
 *
 * - entityProbe: a real `_entities` representation — the first resolvable
 *   `@key` entity, its key fields filled with placeholders — so that the
 *   subgraph's entity resolver actually runs (an empty list runs nothing);
 * - authenticatedProbe: a query reaching an `@authenticated` field from the
 *   root, whose answer depends on whom the subgraph takes the caller to be.
 *
 * Pure functions of the SDL text; an SDL that does not parse has neither.
 */
import { Kind, parse, type ConstDirectiveNode, type DocumentNode, type FieldDefinitionNode, type SelectionSetNode, type TypeNode } from 'graphql';

/** A placeholder for a key field of a built-in or custom scalar. */
export const PLACEHOLDER = 'subgraph-check';

/** How deep authenticatedProbe looks from the root. */
const MAX_PROBE_DEPTH = 3;

interface TypeInfo {
  kind: 'object' | 'leaf' | 'enum' | 'abstract';
  fields: Map<string, FieldDefinitionNode>;
  directives: ConstDirectiveNode[];
  enumValues: string[];
}

/** Every type the SDL defines or extends, its fields merged across definition and extensions. */
function typesOf(document: DocumentNode): Map<string, TypeInfo> {
  const types = new Map<string, TypeInfo>();
  const info = (name: string, kind: TypeInfo['kind']) => types.get(name) ?? types.set(name, { kind, fields: new Map(), directives: [], enumValues: [] }).get(name)!;
  for (const definition of document.definitions) {
    switch (definition.kind) {
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.OBJECT_TYPE_EXTENSION: {
        const type = info(definition.name.value, 'object');
        for (const field of definition.fields ?? []) type.fields.set(field.name.value, field);
        type.directives.push(...(definition.directives ?? []));
        break;
      }
      case Kind.ENUM_TYPE_DEFINITION:
        info(definition.name.value, 'enum').enumValues.push(...(definition.values ?? []).map((value) => value.name.value));
        break;
      case Kind.INTERFACE_TYPE_DEFINITION:
      case Kind.UNION_TYPE_DEFINITION:
        info(definition.name.value, 'abstract');
        break;
      case Kind.SCALAR_TYPE_DEFINITION:
        info(definition.name.value, 'leaf');
        break;
    }
  }
  return types;
}

function parseSdl(sdl: string): Map<string, TypeInfo> | undefined {
  try {
    return typesOf(parse(sdl));
  } catch {
    return undefined;
  }
}

/** A federation directive by its name, imported (`@key`) or not (`@federation__key`). */
const isDirective = (directive: ConstDirectiveNode, name: string) => directive.name.value === name || directive.name.value === `federation__${name}`;

function argumentOf(directive: ConstDirectiveNode, name: string): unknown {
  const value = directive.arguments?.find((argument) => argument.name.value === name)?.value;
  if (value?.kind === Kind.STRING) return value.value;
  if (value?.kind === Kind.BOOLEAN) return value.value;
  return undefined;
}

function namedType(type: TypeNode): { name: string; list: boolean } {
  if (type.kind === Kind.NON_NULL_TYPE) return namedType(type.type);
  if (type.kind === Kind.LIST_TYPE) return { name: namedType(type.type).name, list: true };
  return { name: type.name.value, list: false };
}

function placeholderFor(typeName: string, types: Map<string, TypeInfo>): unknown {
  if (typeName === 'Int' || typeName === 'Float') return 0;
  if (typeName === 'Boolean') return false;
  const enumValue = types.get(typeName)?.enumValues[0];
  return enumValue ?? PLACEHOLDER;
}

/** The key fields (`id`, `id sku`, `id org { id }`) of `type`, each with a placeholder value. */
function representationOf(type: TypeInfo, selections: SelectionSetNode, types: Map<string, TypeInfo>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const selection of selections.selections) {
    if (selection.kind !== Kind.FIELD) continue;
    const field = type.fields.get(selection.name.value);
    const { name, list } = field ? namedType(field.type) : { name: 'String', list: false };
    const nested = types.get(name);
    const value = selection.selectionSet && nested?.kind === 'object' ? representationOf(nested, selection.selectionSet, types) : placeholderFor(name, types);
    values[selection.name.value] = list ? [value] : value;
  }
  return values;
}

export interface EntityProbe {
  typename: string;
  representation: Record<string, unknown>;
}

/** The first entity the subgraph resolves (`@key`, not `resolvable: false`), as a representation with placeholder key values. */
export function entityProbe(sdl: string): EntityProbe | undefined {
  const types = parseSdl(sdl);
  for (const [typename, type] of types ?? []) {
    const key = type.directives.find((directive) => isDirective(directive, 'key') && argumentOf(directive, 'resolvable') !== false);
    const fields = key && argumentOf(key, 'fields');
    if (typeof fields !== 'string') continue;
    let selections: SelectionSetNode;
    try {
      selections = (parse(`{ ${fields} }`).definitions[0] as { selectionSet: SelectionSetNode }).selectionSet;
    } catch {
      continue;
    }
    return { typename, representation: { __typename: typename, ...representationOf(type, selections, types!) } };
  }
  return undefined;
}

/** Whether a field needs a signed-in caller and nothing more (a scope or a policy would hide whom the subgraph took the caller to be). */
function onlyAuthenticated(field: FieldDefinitionNode): boolean {
  const directives = field.directives ?? [];
  return directives.some((directive) => isDirective(directive, 'authenticated')) && !directives.some((directive) => isDirective(directive, 'requiresScopes') || isDirective(directive, 'policy'));
}

/** A field asked without arguments: none required. */
const askable = (field: FieldDefinitionNode) => (field.arguments ?? []).every((argument) => argument.type.kind !== Kind.NON_NULL_TYPE || argument.defaultValue !== undefined);

/**
 * A query, from Query, that reaches the first `@authenticated` field (breadth
 * first, at most three fields deep, through fields without required
 * arguments): `{ me { __typename } }`, `{ widgets { seenBy } }`. Undefined
 * when there is none.
 */
export function authenticatedProbe(sdl: string): string | undefined {
  const types = parseSdl(sdl);
  const root = types?.get('Query');
  if (!types || !root) return undefined;
  let frontier: { type: TypeInfo; path: string[] }[] = [{ type: root, path: [] }];
  for (let depth = 0; depth < MAX_PROBE_DEPTH && frontier.length > 0; depth++) {
    const next: typeof frontier = [];
    for (const { type, path } of frontier) {
      for (const field of type.fields.values()) {
        if (!askable(field)) continue;
        const target = types.get(namedType(field.type).name);
        if (onlyAuthenticated(field)) return selectionOf([...path, field.name.value], target && target.kind !== 'leaf' && target.kind !== 'enum');
        if (target?.kind === 'object') next.push({ type: target, path: [...path, field.name.value] });
      }
    }
    frontier = next;
  }
  return undefined;
}

/** `['widgets', 'seenBy']` → `{ widgets { seenBy } }`, ending in `{ __typename }` when the last field is not a leaf. */
function selectionOf(path: string[], composite: boolean | undefined): string {
  const inner = composite ? `${path.at(-1)} { __typename }` : path.at(-1)!;
  return `{ ${path.slice(0, -1).reduceRight((selection, field) => `${field} { ${selection} }`, inner)} }`;
}
