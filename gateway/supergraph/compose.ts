/**
 * One supergraph load, as pure as it can be: every listed subgraph's SDL,
 * fetched through the gateway's own data source (so the gateway's identity
 * token goes with it), composed into a supergraph SDL. Every failure is a
 * SupergraphLoadError with a stable code and the subgraphs it is about.
 */
import { composeServices } from '@apollo/composition';
import type { GraphQLDataSource } from '@apollo/gateway';
// The request kinds are not re-exported from the package root.
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types.js';
import { parse, type DocumentNode } from 'graphql';
import type { SupergraphFailureCode } from '../../shared/errors.js';
import { withTimeout } from '@fedgw/subgraph-kit';
import type { SubgraphEntry } from './subgraph-list.js';

const SDL_QUERY = 'query __ApolloGetServiceDefinition__ { _service { sdl } }';

export type DataSourceFor = (entry: SubgraphEntry) => GraphQLDataSource;

export class SupergraphLoadError extends Error {
  override name = 'SupergraphLoadError';
  constructor(
    readonly code: SupergraphFailureCode,
    readonly subgraphs: string[],
    message: string,
    readonly codes?: string[],
  ) {
    super(message);
  }
}

export interface FetchedSubgraph {
  name: string;
  url: string;
  sdl: string;
  typeDefs: DocumentNode;
}

/** A composed supergraph and what it was composed from. */
export interface Composed {
  sdl: string;
  /** name → url + SDL of each subgraph, to say what a reload changed. */
  services: Map<string, { url: string; sdl: string }>;
}

export function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
}

/** Anything thrown while loading, as a SupergraphLoadError (a broken list is the only other kind). */
export function toLoadError(error: unknown): SupergraphLoadError {
  if (error instanceof SupergraphLoadError) return error;
  return new SupergraphLoadError('SUBGRAPH_LIST_INVALID', [], oneLine(error));
}

async function fetchOne({ name, url }: SubgraphEntry, dataSourceFor: DataSourceFor, timeoutMs: number): Promise<FetchedSubgraph> {
  try {
    const response = await withTimeout(
      dataSourceFor({ name, url }).process({ kind: GraphQLDataSourceRequestKind.LOADING_SCHEMA, request: { query: SDL_QUERY }, context: {} }),
      timeoutMs,
      'the SDL request',
    );
    if (response.errors?.length) throw new Error(response.errors.map((error) => error.message).join('; '));
    const sdl = (response.data as { _service?: { sdl?: unknown } } | undefined)?._service?.sdl;
    if (typeof sdl !== 'string') throw new Error('returned no SDL');
    return { name, url, sdl, typeDefs: parse(sdl) };
  } catch (error) {
    throw new SupergraphLoadError('SUBGRAPH_UNREACHABLE', [name], `subgraph "${name}" (${url}): ${oneLine(error)}`);
  }
}

/** Fetches every subgraph's SDL; one failure names every subgraph that failed. */
export async function fetchSubgraphs(entries: SubgraphEntry[], dataSourceFor: DataSourceFor, timeoutMs = 10_000): Promise<FetchedSubgraph[]> {
  const results = await Promise.allSettled(entries.map((entry) => fetchOne(entry, dataSourceFor, timeoutMs)));
  const failed = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as SupergraphLoadError] : []));
  if (failed.length > 0) {
    throw new SupergraphLoadError(
      'SUBGRAPH_UNREACHABLE',
      failed.flatMap((error) => error.subgraphs),
      failed.map((error) => error.message).join('; '),
    );
  }
  return results.map((result) => (result as PromiseFulfilledResult<FetchedSubgraph>).value);
}

/**
 * The one place a supergraph SDL is made, at start and on every reload.
 * A composition failure blames the subgraphs it names, narrowed to those
 * that changed since `previous` (what changed is what broke it).
 */
export function composeSupergraph(services: FetchedSubgraph[], previous?: Composed): Composed {
  const result = composeServices(services.map(({ name, url, typeDefs }) => ({ name, url, typeDefs })));
  if (result.errors) {
    const text = result.errors.map((error) => error.message).join('; ');
    // Composition messages quote the subgraphs they are about ("in subgraph \"x\"", "[x] ...").
    const mentioned = services.map((service) => service.name).filter((name) => text.includes(`"${name}"`) || text.includes(`[${name}]`));
    const codes = [...new Set(result.errors.map((error) => String(error.extensions?.code ?? 'UNKNOWN')))];
    throw new SupergraphLoadError('COMPOSITION_FAILED', blame(mentioned, services, previous), `composition failed: ${text}`, codes);
  }
  return {
    sdl: result.supergraphSdl,
    services: new Map(services.map(({ name, url, sdl }) => [name, { url, sdl }])),
  };
}

function blame(mentioned: string[], services: FetchedSubgraph[], previous: Composed | undefined): string[] {
  const changed = services.filter((service) => previous?.services.get(service.name)?.sdl !== service.sdl).map((s) => s.name);
  if (!previous || changed.length === 0) return mentioned;
  const blamed = mentioned.filter((name) => changed.includes(name));
  return blamed.length > 0 ? blamed : changed;
}

/** The subgraphs whose URL or SDL differ between two supergraphs (added and removed ones included). */
export function changedSubgraphs(previous: Composed, next: Composed): string[] {
  const names = new Set([...previous.services.keys(), ...next.services.keys()]);
  return [...names].filter((name) => {
    const before = previous.services.get(name);
    const after = next.services.get(name);
    return before?.sdl !== after?.sdl || before?.url !== after?.url;
  });
}

/** "added x; removed y; changed z", for the log line of a reload. */
export function describeChange(previous: Composed, next: Composed): string {
  const added = [...next.services.keys()].filter((name) => !previous.services.has(name));
  const removed = [...previous.services.keys()].filter((name) => !next.services.has(name));
  const changed = changedSubgraphs(previous, next).filter((name) => previous.services.has(name) && next.services.has(name));
  const parts = [
    added.length ? `added ${added.join(', ')}` : '',
    removed.length ? `removed ${removed.join(', ')}` : '',
    changed.length ? `changed ${changed.join(', ')}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join('; ') : 'no subgraph changed';
}
