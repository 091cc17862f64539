/**
 * Supergraph loading, live: reads the subgraph list (SUBGRAPHS_FILE), fetches
 * each subgraph's SDL through the gateway's own data source (so the gateway's
 * identity token goes with it), composes, and hands the result to
 * ApolloGateway. At start it retries with backoff until every subgraph
 * answers. Afterwards it watches the file and re-introspects on an interval;
 * every reload is all-or-nothing: anything that fails (unreadable file,
 * unreachable subgraph, composition error, a supergraph the gateway refuses)
 * keeps the last good supergraph serving, is logged once in one line and is
 * reported by status() (and so by /readyz).
 */
import fs from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import type { GraphQLDataSource, SupergraphManager } from '@apollo/gateway';
// The request kinds are not re-exported from the package root.
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types.js';
import { parse, type DocumentNode } from 'graphql';
import type { Logger } from './logger.js';
import { parseSubgraphList, readSubgraphList, type SubgraphEntry } from './subgraph-list.js';

type GetDataSource = Parameters<SupergraphManager['initialize']>[0]['getDataSource'];
type Update = Parameters<SupergraphManager['initialize']>[0]['update'];

const SDL_QUERY = 'query __ApolloGetServiceDefinition__ { _service { sdl } }';

/** Why a load failed; stable, so operators and tests can rely on them. */
export type SupergraphFailureCode =
  /** SUBGRAPHS_FILE is unreadable, not JSON, or fails validation. */
  | 'SUBGRAPH_LIST_INVALID'
  /** A subgraph did not give its SDL (down, refused the gateway's token, timed out, answered errors). */
  | 'SUBGRAPH_UNREACHABLE'
  /** The subgraphs do not compose (`codes` holds the composition error codes). */
  | 'COMPOSITION_FAILED'
  /** The gateway refused the composed supergraph. */
  | 'SUPERGRAPH_REJECTED';

export interface SupergraphFailure {
  code: SupergraphFailureCode;
  /** The subgraphs the failure is about (empty when it is about the file). */
  subgraphs: string[];
  /** Composition error codes (e.g. FIELD_TYPE_MISMATCH), for COMPOSITION_FAILED. */
  codes?: string[];
  message: string;
  /** ISO time of the first attempt that failed this way. */
  since: string;
}

export interface SupergraphStatus {
  /** A supergraph is composed and serving (it may be the last good one, see `failure`). */
  ready: boolean;
  /** The subgraphs of the supergraph being served. */
  subgraphs: string[];
  /** ISO time the serving supergraph was composed. */
  composedAt?: string;
  /** The current failure in one line; cleared as soon as a load succeeds. */
  lastError?: string;
  failure?: SupergraphFailure;
}

export interface SupergraphLoader extends SupergraphManager {
  status(): SupergraphStatus;
  /** Re-reads the file and re-introspects now; resolves when that load is over. */
  reload(): Promise<void>;
  /** Interrupts a start still waiting for subgraphs, closes the watcher and the poll timer. */
  stop(): void;
}

export interface SupergraphLoaderOptions {
  subgraphsFile: string;
  logger: Logger;
  /**
   * Makes the data source that fetches a subgraph's SDL: the gateway's own
   * buildService, so schema loading carries the gateway's identity. Without
   * it the gateway's getDataSource is used, which re-points the gateway's
   * routing for that subgraph name at the URL being tried, even if the
   * reload then fails: only acceptable for a list that never changes.
   */
  buildDataSource?: (entry: SubgraphEntry) => GraphQLDataSource;
  /** Re-introspection interval; 0 or absent = off. */
  pollIntervalMs?: number;
  /** Watch SUBGRAPHS_FILE for changes (default true). */
  watch?: boolean;
  /** Wait after a file event before reading the file (editors write in several steps). */
  debounceMs?: number;
  /** Longest wait for one subgraph's SDL. */
  fetchTimeoutMs?: number;
  /** First retry delay at start; doubles up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

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

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Fetches every subgraph's SDL; one failure names every subgraph that failed. */
export async function fetchSubgraphs(
  entries: SubgraphEntry[],
  getDataSource: GetDataSource,
  timeoutMs = 10_000,
): Promise<FetchedSubgraph[]> {
  const results = await Promise.allSettled(
    entries.map(async ({ name, url }) => {
      try {
        const response = await withTimeout(
          getDataSource({ name, url }).process({
            kind: GraphQLDataSourceRequestKind.LOADING_SCHEMA,
            request: { query: SDL_QUERY },
            context: {},
          }),
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
    }),
  );
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
 * The one place a supergraph SDL is made, at start and on every reload:
 * anything the gateway needs done to the composed SDL belongs here.
 */
export function composeSupergraph(services: FetchedSubgraph[]): string {
  const result = composeServices(services.map(({ name, url, typeDefs }) => ({ name, url, typeDefs })));
  if (result.errors) {
    const names = services.map((service) => service.name);
    const text = result.errors.map((error) => error.message).join('; ');
    // Composition messages quote the subgraphs they are about ("in subgraph \"x\"", "[x] ...").
    const mentioned = names.filter((name) => text.includes(`"${name}"`) || text.includes(`[${name}]`));
    const codes = [...new Set(result.errors.map((error) => String(error.extensions?.code ?? 'UNKNOWN')))];
    throw new SupergraphLoadError('COMPOSITION_FAILED', mentioned, `composition failed: ${text}`, codes);
  }
  return result.supergraphSdl;
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
}

function toLoadError(error: unknown): SupergraphLoadError {
  if (error instanceof SupergraphLoadError) return error;
  // readSubgraphList throws SubgraphListError; anything else unexpected is reported the same way.
  return new SupergraphLoadError('SUBGRAPH_LIST_INVALID', [], oneLine(error));
}

interface Good {
  sdl: string;
  /** name → url + SDL of each subgraph, to say what a reload changed. */
  services: Map<string, { url: string; sdl: string }>;
  fileText: string;
}

export function supergraphLoader(options: SupergraphLoaderOptions): SupergraphLoader {
  const { logger } = options;
  const state: SupergraphStatus = { ready: false, subgraphs: [] };
  let closed = false;
  let good: Good | undefined;
  let lastAttemptText: string | undefined;
  let lastAttemptFailed = false;
  let update: Update | undefined;
  let getDataSource: GetDataSource | undefined;
  // Data sources for schema loading only, by name and URL: trying a new URL
  // must not change where the serving supergraph's requests go.
  const loadingSources = new Map<string, GraphQLDataSource>();
  const build = options.buildDataSource;
  const loadingDataSource: GetDataSource = ({ name, url }) => {
    if (!build) return getDataSource!({ name, url });
    const key = `${name} ${url}`;
    let source = loadingSources.get(key);
    if (!source) {
      source = build({ name, url: url! });
      loadingSources.set(key, source);
    }
    return source;
  };

  // Start-up sleep, interruptible by stop().
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  /** One read: the text compared on file events is the text the entries came from. */
  const readFile = (): { text: string; entries: SubgraphEntry[] } => {
    let text: string;
    try {
      text = fs.readFileSync(options.subgraphsFile, 'utf8');
    } catch {
      return { text: '', entries: readSubgraphList(options.subgraphsFile) }; // throws, naming the read error
    }
    return { text, entries: parseSubgraphList(text, options.subgraphsFile) };
  };

  /** One full load: file → SDLs → composition. Throws SupergraphLoadError. */
  const load = async () => {
    let file: { text: string; entries: SubgraphEntry[] };
    try {
      file = readFile();
    } catch (error) {
      throw toLoadError(error);
    }
    lastAttemptText = file.text;
    // Sources for entries no longer listed are dropped, so the cache follows the file.
    for (const key of loadingSources.keys()) {
      if (!file.entries.some((entry) => key === `${entry.name} ${entry.url}`)) loadingSources.delete(key);
    }
    const services = await fetchSubgraphs(file.entries, loadingDataSource, options.fetchTimeoutMs);
    let sdl: string;
    try {
      sdl = composeSupergraph(services);
    } catch (error) {
      const failure = toLoadError(error);
      // Point at what changed since the last good supergraph: that is what broke it.
      const changed = services.filter((service) => good?.services.get(service.name)?.sdl !== service.sdl).map((s) => s.name);
      if (good && changed.length > 0) {
        const blamed = failure.subgraphs.filter((name) => changed.includes(name));
        throw new SupergraphLoadError(failure.code, blamed.length > 0 ? blamed : changed, failure.message, failure.codes);
      }
      throw failure;
    }
    return {
      sdl,
      services: new Map(services.map(({ name, url, sdl: serviceSdl }) => [name, { url, sdl: serviceSdl }])),
      fileText: file.text,
    } satisfies Good;
  };

  const recordFailure = (error: SupergraphLoadError, context: string, logRepeats = false) => {
    lastAttemptFailed = true;
    const line = `[${error.code}] ${error.message}`;
    // Polling repeats the same failure; log it when it starts or changes, not every time.
    const repeated = state.lastError === line;
    state.lastError = line;
    state.failure = {
      code: error.code,
      subgraphs: error.subgraphs,
      ...(error.codes ? { codes: error.codes } : {}),
      message: error.message,
      since: repeated && state.failure ? state.failure.since : new Date().toISOString(),
    };
    if (!repeated || logRepeats) logger.warn(`${context}: ${line}`);
  };

  const recordSuccess = (next: Good) => {
    lastAttemptFailed = false;
    const recovered = state.lastError !== undefined;
    const previous = good;
    good = next;
    state.ready = true;
    state.subgraphs = [...next.services.keys()];
    state.lastError = undefined;
    state.failure = undefined;
    if (previous?.sdl === next.sdl) {
      if (recovered) logger.info(`supergraph check passes again; still serving ${state.subgraphs.join(', ')}`);
      return false;
    }
    state.composedAt = new Date().toISOString();
    logger.info(`supergraph composed from ${state.subgraphs.join(', ')}${previous ? ` (${describeChange(previous, next)})` : ''}`);
    return true;
  };

  // Reloads run one at a time; a request during a reload runs once more after it.
  let running: Promise<void> | undefined;
  let again = false;
  const reloadOnce = async () => {
    if (closed || !good) return;
    const serving = `keeping the last good supergraph (${[...good.services.keys()].join(', ')})`;
    try {
      const next = await load();
      if (closed) return;
      const previous = good;
      if (next.sdl !== previous.sdl) {
        try {
          // Swaps the schema for new requests; requests in flight finish on the one they started with.
          update!(next.sdl);
        } catch (error) {
          throw new SupergraphLoadError('SUPERGRAPH_REJECTED', describeChangedNames(previous, next), oneLine(error));
        }
      }
      recordSuccess(next);
      retryDelay = undefined;
    } catch (error) {
      if (closed) return;
      const failure = toLoadError(error);
      recordFailure(failure, `supergraph not updated, ${serving}`);
      if (failure.code === 'SUBGRAPH_UNREACHABLE') scheduleRetry();
    }
  };
  // A subgraph listed just before it is started (the scaffold, a deploy) is
  // retried a few times with backoff, so it joins within seconds, not at the next poll.
  let retryTimer: NodeJS.Timeout | undefined;
  let retryDelay: number | undefined;
  const scheduleRetry = () => {
    if (retryTimer) return;
    retryDelay = retryDelay === undefined ? (options.retryDelayMs ?? 250) : retryDelay * 2;
    if (retryDelay > (options.maxRetryDelayMs ?? 5000)) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void reload();
    }, retryDelay);
  };
  const reload = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await reloadOnce();
      } while (again && !closed);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  // --- watching the file -------------------------------------------------
  let watcher: fs.FSWatcher | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let pollTimer: NodeJS.Timeout | undefined;

  const listName = path.basename(options.subgraphsFile);
  const onFileEvent = (_event: string, filename: string | Buffer | null) => {
    // Other files in the folder are no concern (a SQLite journal next to it
    // changes constantly); `..data` is how Kubernetes swaps a mounted ConfigMap.
    const name = filename?.toString();
    if (name && name !== listName && !name.startsWith('..')) return;
    // Coalesce a burst (editors write in steps), but never postpone forever.
    if (debounce) return;
    debounce = setTimeout(() => {
      debounce = undefined;
      let text: string | undefined;
      try {
        text = fs.readFileSync(options.subgraphsFile, 'utf8');
      } catch {
        text = undefined; // gone or unreadable: let the reload report it
      }
      // The folder sees events for other files too; only a changed list (or a retry after a failure) reloads.
      if (text !== undefined && text === lastAttemptText && !lastAttemptFailed) return;
      retryDelay = undefined; // a new list gets a fresh set of retries
      void reload();
    }, options.debounceMs ?? 150);
  };

  const startWatching = () => {
    if (options.watch === false) return;
    // Watch the folder, not the file: editors and config tools replace the file
    // (write a temp file, rename), which a watch on the old inode never sees.
    try {
      watcher = fs.watch(path.dirname(options.subgraphsFile), { persistent: false }, onFileEvent);
      watcher.on('error', (error) => {
        logger.warn(`stopped watching ${options.subgraphsFile}: ${oneLine(error)}`);
        watcher?.close();
        watcher = undefined;
      });
    } catch (error) {
      logger.warn(`cannot watch ${options.subgraphsFile} (${oneLine(error)}); changes are picked up by polling only`);
    }
  };

  const schedulePoll = () => {
    const interval = options.pollIntervalMs ?? 0;
    if (interval <= 0 || closed) return;
    pollTimer = setTimeout(() => {
      void reload().then(schedulePoll);
    }, interval);
    pollTimer.unref();
  };

  const stop = () => {
    closed = true;
    wake?.();
    watcher?.close();
    watcher = undefined;
    clearTimeout(debounce);
    clearTimeout(pollTimer);
    clearTimeout(retryTimer);
  };

  return {
    status: () => ({
      ...state,
      subgraphs: [...state.subgraphs],
      ...(state.failure ? { failure: { ...state.failure, subgraphs: [...state.failure.subgraphs] } } : {}),
    }),
    reload,
    stop,
    async initialize(hooks) {
      getDataSource = hooks.getDataSource;
      update = hooks.update;
      let delay = options.retryDelayMs ?? 250;
      for (let attempt = 1; ; attempt++) {
        try {
          const first = await load();
          if (closed) throw new Error('gateway stopped before the supergraph was loaded');
          recordSuccess(first);
          startWatching();
          schedulePoll();
          return {
            supergraphSdl: first.sdl,
            cleanup: async () => {
              stop();
              await running;
            },
          };
        } catch (error) {
          if (closed) throw error;
          // At start every attempt is logged, so a long wait is visible.
          recordFailure(toLoadError(error), `supergraph not loaded (attempt ${attempt}, retrying in ${delay} ms)`, true);
          await sleep(delay);
          if (closed) throw new Error('gateway stopped before the supergraph was loaded');
          delay = Math.min(delay * 2, options.maxRetryDelayMs ?? 5000);
        }
      }
    },
  };
}

function describeChangedNames(previous: Good, next: Good): string[] {
  const names = new Set([...previous.services.keys(), ...next.services.keys()]);
  return [...names].filter((name) => {
    const before = previous.services.get(name);
    const after = next.services.get(name);
    return before?.sdl !== after?.sdl || before?.url !== after?.url;
  });
}

function describeChange(previous: Good, next: Good): string {
  const added = [...next.services.keys()].filter((name) => !previous.services.has(name));
  const removed = [...previous.services.keys()].filter((name) => !next.services.has(name));
  const changed = describeChangedNames(previous, next).filter((name) => previous.services.has(name) && next.services.has(name));
  const parts = [
    added.length ? `added ${added.join(', ')}` : '',
    removed.length ? `removed ${removed.join(', ')}` : '',
    changed.length ? `changed ${changed.join(', ')}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join('; ') : 'no subgraph changed';
}
