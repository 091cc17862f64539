/**
 * Request limits of POST/GET /graphql, each refusal with its own stable code:
 *
 * | what | code | status | where |
 * | --- | --- | --- | --- |
 * | body bytes (`MAX_REQUEST_BYTES`) | `PAYLOAD_TOO_LARGE` | 413 | body parser |
 * | body not valid UTF-8 | `BAD_REQUEST` | 400 | body parser |
 * | JSON nesting of the body, variables included (`MAX_JSON_DEPTH`) | `JSON_TOO_DEEP` | 400 | before Apollo |
 * | query characters / tokens (`MAX_QUERY_LENGTH`, `MAX_QUERY_TOKENS`) | `QUERY_TOO_LARGE` | 400 | before parsing |
 * | nested fields (`MAX_QUERY_DEPTH`) | `QUERY_TOO_DEEP` | 400 | resolved operation |
 * | aliases (`MAX_QUERY_ALIASES`) | `TOO_MANY_ALIASES` | 400 | resolved operation |
 * | top-level fields (`MAX_ROOT_FIELDS`) | `TOO_MANY_ROOT_FIELDS` | 400 | resolved operation |
 *
 * Body-level refusals are `{"error":{"code","message"}}` like every other
 * non-GraphQL error; query-level ones are GraphQL errors with
 * `extensions.code`. All of them happen before the query is planned, so no
 * subgraph is called for a refused request.
 *
 * Apollo Server's own defences stay on: CSRF prevention (a request must be
 * preflighted: JSON content type, or an `apollo-require-preflight` /
 * `x-apollo-operation-name` header), no mutations over GET (405), no batched
 * requests, and introspection plus field suggestions ("Did you mean …?") only
 * when introspection is enabled.
 */
import { isUtf8 } from 'node:buffer';
import type { ApolloServerPlugin } from '@apollo/server';
import express, { type RequestHandler } from 'express';
import {
  GraphQLError,
  Kind,
  Lexer,
  Source,
  TokenKind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { toGraphQLError } from '@fedgw/subgraph-kit';
import type { HardeningConfig } from '../shared/config/gateway.js';
import { errorBody, PublicError, type RequestLimitCode } from '../shared/errors.js';
import { perOperation } from './per-operation.js';

export interface RequestLimits {
  /** Express middleware for /graphql, in front of Apollo: body parser, body depth, query size. */
  http: RequestHandler[];
  /** Options to spread into `new ApolloServer({...})`. */
  apollo: {
    csrfPrevention: true;
    allowBatchedHttpRequests: false;
    hideSchemaDetailsFromClientErrors: boolean;
    parseOptions: { maxTokens: number };
  };
  /** Refuses an operation too deep or too wide, once it is parsed and validated. */
  plugin: ApolloServerPlugin;
}

export function requestLimits(hardening: HardeningConfig): RequestLimits {
  const limits = hardening.limits;
  const checkText = cachedByText((query: string) => checkQueryText(query, limits));
  return {
    http: [
      express.json({
        limit: limits.requestBytes,
        // Strict UTF-8: the JSON decoder would silently turn invalid bytes into U+FFFD.
        // JSON is UTF-8 (RFC 8259 §8.1): no other charset, no invalid bytes.
        verify: (_req, _res, buffer, encoding) => {
          if (encoding.toLowerCase() !== 'utf-8' || !isUtf8(buffer)) throw new PublicError('BAD_REQUEST', 'request body is not valid UTF-8 JSON');
        },
      }),
      (req, res, next) => {
        if (jsonDeeperThan(req.body, limits.jsonDepth)) {
          res.status(400).json(errorBody('JSON_TOO_DEEP', `the request body is nested deeper than ${limits.jsonDepth} levels`));
          return;
        }
        const query = req.method === 'GET' ? req.query.query : (req.body as { query?: unknown } | undefined)?.query;
        if (typeof query === 'string') {
          const refusal = checkText(query);
          if (refusal) {
            res.status(400).json({ errors: [{ message: refusal.message, extensions: { code: refusal.code } }] });
            return;
          }
        }
        next();
      },
    ],
    apollo: {
      csrfPrevention: true,
      allowBatchedHttpRequests: false,
      hideSchemaDetailsFromClientErrors: !hardening.introspection,
      // Also enforced by the pre-parse check; kept for queries that come from elsewhere (persisted queries).
      parseOptions: { maxTokens: limits.queryTokens },
    },
    plugin: {
      async requestDidStart() {
        return {
          async didResolveOperation({ document, operation }) {
            if (!operation) return;
            const shape = measuredShape(document, operation);
            if (shape.depth > limits.queryDepth) {
              throw limitError('QUERY_TOO_DEEP', `the operation is nested ${describe(shape.depth)} fields deep; the limit is ${limits.queryDepth}`);
            }
            if (shape.aliases > limits.queryAliases) {
              throw limitError('TOO_MANY_ALIASES', `the operation uses ${describe(shape.aliases)} aliases; the limit is ${limits.queryAliases}`);
            }
            if (shape.rootFields > limits.rootFields) {
              throw limitError('TOO_MANY_ROOT_FIELDS', `the operation asks for ${describe(shape.rootFields)} top-level fields; the limit is ${limits.rootFields}`);
            }
          },
        };
      },
    },
  };
}

/**
 * The same query text always gets the same answer from the size checks: a client repeating a query
 * (the usual case) is answered from memory instead of lexing it again. Bounded by the characters kept
 * (the oldest entries go first), so a flood of distinct queries costs no more memory than that.
 */
export function cachedByText<T>(check: (query: string) => T, maxChars = 4_000_000): (query: string) => T {
  const cache = new Map<string, T>();
  let chars = 0;
  return (query) => {
    if (cache.has(query)) return cache.get(query)!;
    const answer = check(query);
    if (query.length <= maxChars / 16) {
      cache.set(query, answer);
      chars += query.length;
      for (const key of cache.keys()) {
        if (chars <= maxChars) break;
        cache.delete(key);
        chars -= key.length;
      }
    }
    return answer;
  };
}

/** An operation's shape, measured once per parsed operation: it depends on nothing else (not the caller, not the variables). */
const measuredShape = perOperation(measureOperation);

function limitError(code: RequestLimitCode, message: string): GraphQLError {
  return toGraphQLError(new PublicError(code, message));
}

function describe(count: number): string {
  return Number.isFinite(count) ? String(count) : 'unboundedly many';
}

/** Whether a parsed JSON value nests arrays/objects deeper than `max` (iterative: no recursion on hostile input). */
export function jsonDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * The size checks that run before the query is parsed: its length, then its
 * tokens and brace nesting in one lexer pass (the parser recurses per
 * nesting level, so an absurdly nested query is refused before it gets
 * there). A syntax error is left for the parser to report.
 */
export function checkQueryText(
  query: string,
  limits: Pick<HardeningConfig['limits'], 'queryLength' | 'queryTokens' | 'queryDepth'>,
): { code: RequestLimitCode; message: string } | undefined {
  if (query.length > limits.queryLength) {
    return { code: 'QUERY_TOO_LARGE', message: `the query is longer than ${limits.queryLength} characters` };
  }
  // Inline fragments and input objects nest braces too: only twice the field-depth limit is certainly too deep.
  const maxBraces = 2 * limits.queryDepth + 2;
  const lexer = new Lexer(new Source(query));
  let tokens = 0;
  let braces = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (++tokens > limits.queryTokens) {
        return { code: 'QUERY_TOO_LARGE', message: `the query has more than ${limits.queryTokens} tokens` };
      }
      if (token.kind === TokenKind.BRACE_L && ++braces > maxBraces) {
        return { code: 'QUERY_TOO_DEEP', message: `the query is nested deeper than ${limits.queryDepth} fields` };
      }
      if (token.kind === TokenKind.BRACE_R) braces--;
    }
  } catch {
    // A syntax error: Apollo's parser answers it (GRAPHQL_PARSE_FAILED).
  }
  return undefined;
}

export interface OperationShape {
  /** Nested fields: `{ a { b } }` is 2. */
  depth: number;
  /** Aliased fields, each use of a fragment counted. */
  aliases: number;
  /** Fields of the operation's root selection set, through fragments. */
  rootFields: number;
}

interface Measure {
  depth: number;
  aliases: number;
  fields: number;
}

const NOTHING: Measure = { depth: 0, aliases: 0, fields: 0 };
/** A fragment that spreads itself (validation refuses it first; this is the guard if it did not). */
const UNBOUNDED: Measure = { depth: Infinity, aliases: Infinity, fields: Infinity };

/**
 * Measures an operation through its fragments. Each fragment is measured
 * once and its measure reused wherever it is spread, so a document whose
 * fragments fan out exponentially costs linear time to measure — and is
 * refused for its (exponential) alias count or depth.
 */
export function measureOperation(document: DocumentNode, operation: OperationDefinitionNode): OperationShape {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const measured = new Map<string, Measure>();
  const inProgress = new Set<string>();

  const fragment = (name: string): Measure => {
    const known = measured.get(name);
    if (known) return known;
    const definition = fragments.get(name);
    if (!definition) return NOTHING;
    if (inProgress.has(name)) return UNBOUNDED;
    inProgress.add(name);
    const result = selectionSet(definition.selectionSet);
    inProgress.delete(name);
    measured.set(name, result);
    return result;
  };

  const selectionSet = (set: SelectionSetNode): Measure => {
    let depth = 0;
    let aliases = 0;
    let fields = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const inner = selection.selectionSet ? selectionSet(selection.selectionSet) : NOTHING;
        depth = Math.max(depth, 1 + inner.depth);
        aliases += (selection.alias ? 1 : 0) + inner.aliases;
        fields += 1;
      } else {
        const inner = selection.kind === Kind.INLINE_FRAGMENT ? selectionSet(selection.selectionSet) : fragment(selection.name.value);
        depth = Math.max(depth, inner.depth);
        aliases += inner.aliases;
        fields += inner.fields;
      }
    }
    return { depth, aliases, fields };
  };

  const root = selectionSet(operation.selectionSet);
  return { depth: root.depth, aliases: root.aliases, rootFields: root.fields };
}
