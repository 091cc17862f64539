/**
 * Stock @apollo/gateway refuses a supergraph that links the SECURITY specs
 * (@authenticated, @requiresScopes, @policy), so the rules are read from the
 * composed SDL (shared/authorization/rules.ts) and the specs are stripped
 * from what the gateway loads.
 */
import { parse, print, visit } from 'graphql';
import { authorizationDirectiveNames, linkedAuthorizationSpecs, readAuthorizationRules, type AuthorizationRules } from '@fedgw/subgraph-kit/authorization';

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
