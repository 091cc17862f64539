/**
 * Authorization rules declared in the schema with the federation directives
 * @authenticated, @requiresScopes and @policy (federation 2.5/2.6 links), and
 * their evaluation against an Identity. This is the one implementation: the
 * gateway uses it to filter operations before planning
 * (the gateway's gateway/authorization/) and every subgraph uses it around
 * its resolvers (subgraph.ts), so both sides always agree.
 *
 * Semantics (the same on both sides):
 * - on a field: selecting that field needs the rule;
 * - on a type (object, interface, scalar, enum): every field that returns the
 *   type and every field of the type needs the rule;
 * - all rules that apply to a field must hold (AND); inside one
 *   @requiresScopes / @policy the argument is an OR of ANDs:
 *   [["a"], ["b", "c"]] means a, or both b and c.
 * - @authenticated means a logged-in user: not anonymous, and not the
 *   gateway's own identity (which exists only for schema loading).
 */
import { GraphQLError, Kind, type ConstDirectiveNode, type ConstValueNode, type DocumentNode } from 'graphql';
import { UNAUTHORIZED_CODE } from '../errors.js';
import type { Identity } from '../identity.js';

export { UNAUTHORIZED_CODE };

export function unauthorizedError(): GraphQLError {
  return new GraphQLError('Unauthorized field or type', { extensions: { code: UNAUTHORIZED_CODE } });
}

export type DirectiveKind = 'authenticated' | 'requiresScopes' | 'policy';

/** One directive application. */
export type Check =
  | { kind: 'authenticated' }
  /** OR of ANDs over the identity's scopes. */
  | { kind: 'requiresScopes'; anyOf: string[][] }
  /** OR of ANDs over named policies. */
  | { kind: 'policy'; anyOf: string[][] };

/** Schema coordinate ("Type" or "Type.field") → the checks declared there. */
export type AuthorizationRules = ReadonlyMap<string, readonly Check[]>;

// ---------------------------------------------------------------------------
// Policies

/** A named rule over the caller; true allows. Policies must be quick and synchronous. */
export type Policy = (identity: Identity | null) => boolean;

export interface PolicyRegistry {
  allows(name: string, identity: Identity | null): boolean;
}

/**
 * A process's policies. An unknown name (a schema that names a policy this
 * process does not define) denies, and is logged once per name; so does a
 * policy that throws.
 */
export function createPolicyRegistry(policies: Readonly<Record<string, Policy>>, warn: (message: string) => void): PolicyRegistry {
  const warned = new Set<string>();
  const warnOnce = (name: string, message: string) => {
    if (warned.has(name)) return;
    warned.add(name);
    warn(message);
  };
  return {
    allows(name, identity) {
      const policy = Object.hasOwn(policies, name) ? policies[name] : undefined;
      if (!policy) {
        warnOnce(name, `authorization: unknown policy "${name}": every field that needs it is denied`);
        return false;
      }
      try {
        return policy(identity) === true;
      } catch (error) {
        warnOnce(name, `authorization: policy "${name}" threw, so it denies: ${(error as Error).message}`);
        return false;
      }
    },
  };
}

// ---------------------------------------------------------------------------
// Reading the rules from a schema document

/** The directives of each spec we read, by the spec's name in its @link url. */
const SPEC_DIRECTIVES: Record<string, DirectiveKind[]> = {
  federation: ['authenticated', 'requiresScopes', 'policy'],
  authenticated: ['authenticated'],
  requiresScopes: ['requiresScopes'],
  policy: ['policy'],
};

export interface LinkedSpec {
  /** The spec's name in the url (`federation`, `authenticated`, ...). */
  spec: string;
  /** Prefix of the spec's non-imported elements (`<prefix>__<name>`). */
  prefix: string;
  /** The schema-extension or schema-definition directive node of the @link. */
  node: ConstDirectiveNode;
}

function stringArgument(directive: ConstDirectiveNode, name: string): string | undefined {
  const value = directive.arguments?.find((argument) => argument.name.value === name)?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
}

function specOf(url: string): string | undefined {
  // https://specs.apollo.dev/<spec>/v<major>.<minor>
  const parts = url.replace(/\/+$/, '').split('/');
  return /^v\d+\.\d+$/.test(parts.at(-1) ?? '') ? parts.at(-2) : undefined;
}

/** Every @link on the schema whose spec carries one of our directives. */
export function linkedAuthorizationSpecs(document: DocumentNode): LinkedSpec[] {
  const specs: LinkedSpec[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const directive of definition.directives ?? []) {
      if (directive.name.value !== 'link') continue;
      const url = stringArgument(directive, 'url');
      const spec = url === undefined ? undefined : specOf(url);
      if (spec === undefined || !(spec in SPEC_DIRECTIVES)) continue;
      specs.push({ spec, prefix: stringArgument(directive, 'as') ?? spec, node: directive });
    }
  }
  return specs;
}

/**
 * The names our directives have in this document, resolving @link imports
 * and renames: `@authenticated` when imported, `@federation__authenticated`
 * when not, `@auth` for `{name: "@authenticated", as: "@auth"}`.
 */
export function authorizationDirectiveNames(document: DocumentNode): Map<string, DirectiveKind> {
  const names = new Map<string, DirectiveKind>();
  for (const { spec, prefix, node } of linkedAuthorizationSpecs(document)) {
    const imports = new Map<string, string>();
    const list = node.arguments?.find((argument) => argument.name.value === 'import')?.value;
    for (const item of list?.kind === Kind.LIST ? list.values : []) {
      if (item.kind === Kind.STRING) imports.set(item.value, item.value);
      if (item.kind === Kind.OBJECT) {
        const field = (name: string) => item.fields.find((f) => f.name.value === name)?.value;
        const name = field('name');
        const as = field('as');
        if (name?.kind === Kind.STRING) imports.set(name.value, as?.kind === Kind.STRING ? as.value : name.value);
      }
    }
    for (const kind of SPEC_DIRECTIVES[spec]) {
      const imported = imports.get(`@${kind}`);
      // A spec's own-named directive is `@<prefix>`; the others `@<prefix>__<name>`.
      const local = imported !== undefined ? imported.replace(/^@/, '') : kind === spec ? prefix : `${prefix}__${kind}`;
      names.set(local, kind);
    }
  }
  return names;
}

/** A [[String]] argument, with GraphQL's input coercion ("a" → [["a"]], ["a","b"] → [["a"],["b"]]). */
function matrix(value: ConstValueNode | undefined): string[][] {
  if (value === undefined) return [];
  const scalar = (node: ConstValueNode) => (node.kind === Kind.STRING ? [node.value] : []);
  if (value.kind !== Kind.LIST) return [scalar(value)];
  return value.values.map((item) => (item.kind === Kind.LIST ? item.values.flatMap(scalar) : scalar(item)));
}

function checkOf(kind: DirectiveKind, directive: ConstDirectiveNode): Check {
  if (kind === 'authenticated') return { kind };
  const argument = kind === 'requiresScopes' ? 'scopes' : 'policies';
  return { kind, anyOf: matrix(directive.arguments?.find((a) => a.name.value === argument)?.value) };
}

/** Reads the rules from a subgraph's type definitions or from a composed supergraph SDL. */
export function readAuthorizationRules(document: DocumentNode): AuthorizationRules {
  const names = authorizationDirectiveNames(document);
  const rules = new Map<string, Check[]>();
  if (names.size === 0) return rules;
  const add = (coordinate: string, directives: readonly ConstDirectiveNode[] | undefined) => {
    for (const directive of directives ?? []) {
      const kind = names.get(directive.name.value);
      if (kind === undefined) continue;
      const checks = rules.get(coordinate) ?? [];
      checks.push(checkOf(kind, directive));
      rules.set(coordinate, checks);
    }
  };
  for (const definition of document.definitions) {
    switch (definition.kind) {
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.OBJECT_TYPE_EXTENSION:
      case Kind.INTERFACE_TYPE_DEFINITION:
      case Kind.INTERFACE_TYPE_EXTENSION:
        add(definition.name.value, definition.directives);
        for (const field of definition.fields ?? []) add(`${definition.name.value}.${field.name.value}`, field.directives);
        break;
      case Kind.SCALAR_TYPE_DEFINITION:
      case Kind.SCALAR_TYPE_EXTENSION:
      case Kind.ENUM_TYPE_DEFINITION:
      case Kind.ENUM_TYPE_EXTENSION:
        add(definition.name.value, definition.directives);
        break;
    }
  }
  return rules;
}

// ---------------------------------------------------------------------------
// Evaluation

function passes(check: Check, identity: Identity | null, policies: PolicyRegistry): boolean {
  switch (check.kind) {
    case 'authenticated':
      return identity?.kind === 'user';
    case 'requiresScopes':
      return check.anyOf.some((all) => all.every((scope) => identity?.scopes.includes(scope) ?? false));
    case 'policy':
      return check.anyOf.some((all) => all.every((name) => policies.allows(name, identity)));
  }
}

/** The checks that apply to `parentType.fieldName` returning (named) `returnType`. */
export function fieldChecks(rules: AuthorizationRules, parentType: string, fieldName: string, returnType: string): Check[] {
  return [
    ...(rules.get(`${parentType}.${fieldName}`) ?? []),
    ...(rules.get(parentType) ?? []),
    ...(rules.get(returnType) ?? []),
  ];
}

export function allowed(checks: readonly Check[], identity: Identity | null, policies: PolicyRegistry): boolean {
  return checks.every((check) => passes(check, identity, policies));
}

/** Told which directive withheld which field (metrics, the request's log line); `context` is the resolver context, subgraph side. */
export type DenialObserver = (directive: DirectiveKind, coordinate: string, context?: unknown) => void;

/** The first check `identity` fails, which is the directive that denies it. */
export function denyingCheck(checks: readonly Check[], identity: Identity | null, policies: PolicyRegistry): Check | undefined {
  return checks.find((check) => !passes(check, identity, policies));
}

/**
 * One caller's view of the rules, for one request: answers "may this caller
 * select parentType.fieldName?", remembering each answer (a list repeats the
 * same fields many times).
 */
export function fieldAccess(rules: AuthorizationRules, policies: PolicyRegistry, identity: Identity | null, onDenied?: DenialObserver) {
  const answers = new Map<string, boolean>();
  return (parentType: string, fieldName: string, returnType: string): boolean => {
    const key = `${parentType}.${fieldName}`;
    let answer = answers.get(key);
    if (answer === undefined) {
      const denying = denyingCheck(fieldChecks(rules, parentType, fieldName, returnType), identity, policies);
      answer = denying === undefined;
      answers.set(key, answer);
      // Once per field and request, however often the answer is asked for.
      if (denying) onDenied?.(denying.kind, key);
    }
    return answer;
  };
}
