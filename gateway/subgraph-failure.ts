/**
 * What a client sees when a subgraph fetch fails. Two cases, told apart:
 *
 * - the subgraph is **unavailable**: the connection failed or timed out, it
 *   answered a 5xx, or something that is not a GraphQL answer. The fields
 *   it was asked for are null, each with a SUBGRAPH_UNAVAILABLE error that
 *   names the subgraph (`extensions.subgraph`) and carries the field's
 *   `path` — never its URL, host or port (those stay in the log).
 * - the subgraph **answered GraphQL errors** with a 4xx: its errors pass on
 *   with their own codes, as a 200 answer's do (DOWNSTREAM_SERVICE_ERROR when
 *   they have none).
 *
 * The errors are handed back to @apollo/gateway as the subgraph's own answer,
 * with paths relative to the subgraph operation (`["_entities", i, field]`
 * or `[rootField]`): its executeQueryPlan turns those into paths in the
 * client's response, as it does for any subgraph error. A thrown error would
 * reach the client with no path at all.
 */
import { GraphQLError, Kind, parse, type DocumentNode, type FragmentDefinitionNode, type GraphQLFormattedError, type SelectionSetNode } from 'graphql';
// The request kinds are not re-exported from the package root.
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway/dist/datasources/types.js';
import type { PublicErrorCode } from '../shared/errors.js';
import type { UnavailableReason } from '../shared/observability/metrics.js';
import type { RequestRecord } from '../shared/observability/request-record.js';

export const SUBGRAPH_UNAVAILABLE = 'SUBGRAPH_UNAVAILABLE' satisfies PublicErrorCode;
/** One failed fetch for 10,000 entities must not make 10,000 errors. */
export const MAX_ERRORS_PER_FETCH = 100;


/** The subgraph did not give a GraphQL answer. `message` is for the log only: it may hold the URL. */
export class SubgraphUnavailableError extends GraphQLError {
  constructor(
    readonly reason: UnavailableReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, { originalError: options?.cause instanceof Error ? options.cause : undefined });
    this.name = 'SubgraphUnavailableError';
  }
}

/** A subgraph answered a 4xx with GraphQL errors of its own. */
export class SubgraphRefusedError extends GraphQLError {
  constructor(readonly errors: readonly GraphQLFormattedError[], status: number) {
    super(`subgraph answered ${status} with GraphQL errors`);
    this.name = 'SubgraphRefusedError';
  }
}

/** A fetch that threw (no HTTP answer at all): timed out, or failed to connect or to read. */
export function unavailableAfter(error: unknown): SubgraphUnavailableError {
  if (error instanceof SubgraphUnavailableError) return error;
  const cause = (error as { cause?: { code?: string; name?: string; message?: string } } | undefined)?.cause;
  const name = (error as Error | undefined)?.name ?? '';
  const timedOut = /TimeoutError|AbortError/.test(name) || /TIMEOUT|ETIMEDOUT/.test(cause?.code ?? cause?.name ?? '');
  const detail = [String((error as Error)?.message ?? error), cause?.code ?? cause?.message].filter(Boolean).join(': ');
  return new SubgraphUnavailableError(timedOut ? 'timeout' : 'connection', detail, { cause: error });
}

/** A non-2xx answer: unavailable, unless a 4xx whose body is GraphQL errors. */
export async function errorFromAnswer(response: { status: number; headers: { get(name: string): string | null }; text(): Promise<string> }): Promise<GraphQLError> {
  if (response.status >= 500) return new SubgraphUnavailableError('status', `answered HTTP ${response.status}`);
  const errors = graphqlErrors(await response.text().catch(() => ''));
  return errors ? new SubgraphRefusedError(errors, response.status) : new SubgraphUnavailableError('response', `answered HTTP ${response.status} without GraphQL errors`);
}

function graphqlErrors(text: string): GraphQLFormattedError[] | undefined {
  try {
    const body = JSON.parse(text) as { errors?: unknown };
    const errors = body?.errors;
    const valid = Array.isArray(errors) && errors.length > 0 && errors.every((error) => typeof error === 'object' && error !== null && typeof error.message === 'string');
    return valid ? (errors as GraphQLFormattedError[]) : undefined;
  } catch {
    return undefined;
  }
}

/** A 2xx answer's body: a JSON object, or the subgraph is unavailable (text, HTML, truncated JSON, a reset mid-body). */
export async function jsonBody(response: { headers: { get(name: string): string | null }; json(): Promise<unknown> }): Promise<object> {
  const contentType = response.headers.get('content-type');
  const notGraphQL = () => new SubgraphUnavailableError('response', `answered ${contentType ?? 'no content type'}, not a GraphQL answer`);
  if (!contentType || !/^application\/(graphql-response\+)?json/.test(contentType)) throw notGraphQL();
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    throw error instanceof SyntaxError ? notGraphQL() : unavailableAfter(error);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw notGraphQL();
  return body;
}

/** A fetcher whose failures to get any answer are SubgraphUnavailableErrors. */
export function unavailableOnThrow<F extends (...args: never[]) => Promise<unknown>>(fetcher: F): F {
  return ((...args: Parameters<F>) => fetcher(...args).catch((error: unknown) => Promise.reject(unavailableAfter(error)))) as F;
}

/**
 * What a failed fetch of a client operation answers instead of throwing:
 * the subgraph's own errors, or SUBGRAPH_UNAVAILABLE at every field it was
 * asked for. Any other error (the gateway's own) is thrown on.
 */
export function failedFetchAnswer(
  subgraph: string,
  options: Pick<GraphQLDataSourceProcessOptions, 'request'> & { document?: DocumentNode },
  record: RequestRecord | undefined,
  error: unknown,
): { errors: GraphQLFormattedError[] } {
  if (error instanceof SubgraphRefusedError) return { errors: [...error.errors] };
  if (!(error instanceof SubgraphUnavailableError)) throw error;
  record?.subgraphUnavailable(subgraph, error.reason, error.message);
  const message = `the ${subgraph} subgraph is unavailable`;
  const extensions = { code: SUBGRAPH_UNAVAILABLE, subgraph };
  const paths = fieldPaths(options.document ?? parse(options.request.query ?? '{ __typename }'), options.request.variables?.representations);
  return { errors: (paths.length > 0 ? paths : [undefined]).map((path) => ({ message, ...(path ? { path } : {}), extensions })) };
}

/**
 * The paths, relative to the subgraph operation, of every field it asked
 * for: `[field]` for a root fetch, `["_entities", i, field]` for each
 * entity of an entity fetch. At most MAX_ERRORS_PER_FETCH.
 */
export function fieldPaths(document: DocumentNode, representations?: unknown): (string | number)[][] {
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  if (!operation) return [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const roots = responseNames(operation.selectionSet, fragments);
  const entities = Array.isArray(representations) ? roots.find((root) => root.name === '_entities') : undefined;
  if (!entities?.selectionSet) return roots.slice(0, MAX_ERRORS_PER_FETCH).map((root) => [root.responseName]);
  const paths: (string | number)[][] = [];
  for (const [index, representation] of (representations as { __typename?: unknown }[]).entries()) {
    const typename = typeof representation?.__typename === 'string' ? representation.__typename : undefined;
    for (const field of responseNames(entities.selectionSet, fragments, typename)) {
      if (paths.length === MAX_ERRORS_PER_FETCH) return paths;
      paths.push([entities.responseName, index, field.responseName]);
    }
  }
  return paths;
}

interface SelectedField {
  name: string;
  responseName: string;
  selectionSet?: SelectionSetNode;
}

/** The fields a selection set selects for `typename` (any type when unknown), through fragments; __typename left out. */
function responseNames(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, typename?: string): SelectedField[] {
  const fields: SelectedField[] = [];
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const responseName = selection.alias?.value ?? selection.name.value;
        if (selection.name.value === '__typename' || seen.has(responseName)) continue;
        seen.add(responseName);
        fields.push({ name: selection.name.value, responseName, selectionSet: selection.selectionSet });
        continue;
      }
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
      const condition = fragment?.typeCondition?.name.value;
      if (fragment && (typename === undefined || condition === undefined || condition === typename)) visit(fragment.selectionSet);
    }
  };
  visit(selectionSet);
  return fields;
}
