/**
 * Filtered operations remembered per parsed operation and per caller's
 * identity facts: a client repeating a query (Apollo Server hands back the
 * same parsed document for the same text) is not filtered again.
 *
 * The key holds everything the decision depends on: the operation (its
 * document, so its fragments too), the rules (a cache belongs to one loaded
 * supergraph and is dropped with it) and every fact of the caller's identity
 * the rules can read — @authenticated whether there is one, @requiresScopes
 * its scopes, @policy functions the whole identity (kind, id, scopes, and
 * any other field it carries). A decision is therefore only ever reused for
 * a caller with exactly the same facts; a different caller gets its own.
 * Variables play no part in filtering (@skip/@include are left in place).
 */
import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import type { Identity } from '@fedgw/subgraph-kit';
import type { DirectiveKind } from '@fedgw/subgraph-kit/authorization';
import { perOperation } from '../per-operation.js';
import type { FilteredOperation } from './filter-operation.js';

/** A filtering's outcome, and the fields it withheld (told again to each request that reuses it). */
export interface CachedFiltering {
  filtered: FilteredOperation;
  denials: readonly (readonly [DirectiveKind, string])[];
  /** The filtered operation's printed text and hash, when a field was removed. */
  printed?: { source: string; queryHash: string };
}

/** Distinct callers remembered per operation before that operation's entries are dropped. */
const MAX_CALLERS_PER_OPERATION = 1000;

/** Every field of the identity, nested ones too, keys sorted at each level: the facts a rule could read. */
export function identityFacts(identity: Identity | null): string {
  return identity ? JSON.stringify(canonical(identity)) : '';
}

/** Arrays and objects tagged apart (`['a', …]`, `['o', [key, value]…]`), so no two different identities print alike. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return ['a', ...value.map(canonical)];
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  return ['o', ...Object.keys(record).sort().map((key) => [key, canonical(record[key])])];
}

export class FilterCache {
  /** Per parsed operation, the filterings by identity facts. */
  private readonly callersOf = perOperation(() => new Map<string, CachedFiltering>());

  get(document: DocumentNode, operation: OperationDefinitionNode, facts: string): CachedFiltering | undefined {
    return this.callersOf(document, operation).get(facts);
  }

  set(document: DocumentNode, operation: OperationDefinitionNode, facts: string, entry: CachedFiltering): void {
    const callers = this.callersOf(document, operation);
    // Many distinct callers of one operation: start over rather than grow without bound.
    if (callers.size >= MAX_CALLERS_PER_OPERATION) callers.clear();
    callers.set(facts, entry);
  }
}
