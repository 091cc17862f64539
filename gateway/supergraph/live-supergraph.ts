/**
 * The live supergraph: a SupergraphManager for ApolloGateway that reads the
 * subgraph list (SUBGRAPHS_FILE), loads and composes it (compose.ts), and
 * keeps it current.
 *
 *   starting ── first load succeeds ──▶ serving ── stop() ──▶ stopped
 *      │  (retries with backoff until every subgraph answers)      ▲
 *      └──────────────────────── stop() ───────────────────────────┘
 *
 * While serving it follows the list file (shared/file-watch.ts) and
 * re-introspects every `pollIntervalMs`. Every reload is all-or-nothing:
 * anything that fails (unreadable file, unreachable subgraph, composition
 * error, a supergraph the gateway refuses) keeps the last good supergraph
 * serving, is logged once and reported by status() (and so by /readyz). A
 * subgraph listed just before it is started is retried a few times with
 * backoff, so it joins within seconds, not at the next poll.
 */
import fs from 'node:fs';
import type { GraphQLDataSource, SupergraphManager } from '@apollo/gateway';
import { Backoff, sleep } from '../../shared/backoff.js';
import { watchFile, type FileWatch } from '../../shared/file-watch.js';
import type { Logger } from '../../shared/observability/logger.js';
import { composeSupergraph, fetchSubgraphs, oneLine, SupergraphLoadError, toLoadError, changedSubgraphs, type Composed, type DataSourceFor } from './compose.js';
import { SupergraphHealth, type SupergraphStatus } from './status.js';
import { parseSubgraphList, readSubgraphList, subgraphsOf, type SubgraphEntry } from './subgraph-list.js';

type Hooks = Parameters<SupergraphManager['initialize']>[0];

export interface LiveSupergraphOptions {
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
  /** First retry delay; doubles up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

type State =
  | { phase: 'starting' }
  | { phase: 'serving'; serving: Composed; update: Hooks['update'] }
  | { phase: 'stopped' };

const STOPPED_EARLY = 'gateway stopped before the supergraph was loaded';

export class LiveSupergraph implements SupergraphManager {
  private state: State = { phase: 'starting' };
  private readonly health: SupergraphHealth;
  private readonly stopping = new AbortController();
  /** After a failed reload: a few quick retries, reset by a success or a new list. */
  private readonly retries: Backoff;
  /** Data sources for schema loading only, by name and URL: trying a new URL must not re-route live traffic. */
  private readonly sources = new Map<string, GraphQLDataSource>();
  private getDataSource: Hooks['getDataSource'] | undefined;
  /** The list's text at the last load: a file event for the same text needs no reload. */
  private lastText: string | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private watch: FileWatch | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: LiveSupergraphOptions) {
    this.health = new SupergraphHealth(options.logger);
    this.retries = new Backoff({ initialMs: options.retryDelayMs ?? 250, maxMs: options.maxRetryDelayMs ?? 5000, givesUp: true });
  }

  status(): SupergraphStatus {
    return this.health.snapshot();
  }

  private get stopped(): boolean {
    return this.state.phase === 'stopped';
  }

  async initialize({ update, getDataSource }: Hooks) {
    this.getDataSource = getDataSource;
    const first = await this.firstLoad();
    this.state = { phase: 'serving', serving: first, update };
    this.follow();
    return {
      supergraphSdl: first.sdl,
      cleanup: async () => {
        this.stop();
        await this.running;
      },
    };
  }

  /** Re-reads the file and re-introspects now; resolves when that load is over. Reloads run one at a time; one asked for meanwhile runs once more after. */
  reload(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.reloadOnce();
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Interrupts a start still waiting for subgraphs, closes the watcher and the timers. */
  stop(): void {
    this.state = { phase: 'stopped' };
    this.stopping.abort();
    this.watch?.close();
    clearTimeout(this.pollTimer);
    clearTimeout(this.retryTimer);
  }

  /** At start: retries with backoff until the first load succeeds; every attempt is logged, so a long wait is visible. */
  private async firstLoad(): Promise<Composed> {
    const backoff = new Backoff({ initialMs: this.options.retryDelayMs ?? 250, maxMs: this.options.maxRetryDelayMs ?? 5000 });
    for (let attempt = 1; ; attempt++) {
      try {
        const first = await this.load(undefined);
        if (this.stopped) throw new Error(STOPPED_EARLY);
        this.health.succeeded(first, undefined);
        return first;
      } catch (error) {
        if (this.stopped) throw error;
        const delay = backoff.next()!;
        this.health.failed(toLoadError(error), `supergraph not loaded (attempt ${attempt}, retrying in ${delay} ms)`, true);
        await sleep(delay, this.stopping.signal);
        if (this.stopped) throw new Error(STOPPED_EARLY);
      }
    }
  }

  private async reloadOnce(): Promise<void> {
    const state = this.state;
    if (state.phase !== 'serving') return;
    const previous = state.serving;
    try {
      const next = await this.load(previous);
      if (this.state.phase !== 'serving') return;
      if (next.sdl !== previous.sdl) {
        try {
          // Swaps the schema for new requests; requests in flight finish on the one they started with.
          state.update(next.sdl);
        } catch (error) {
          throw new SupergraphLoadError('SUPERGRAPH_REJECTED', changedSubgraphs(previous, next), oneLine(error));
        }
      }
      this.state = { ...state, serving: next };
      this.health.succeeded(next, previous);
      this.retries.reset();
    } catch (error) {
      if (this.state.phase !== 'serving') return;
      const failure = toLoadError(error);
      this.health.failed(failure, `supergraph not updated, keeping the last good supergraph (${[...previous.services.keys()].join(', ')})`);
      if (failure.code === 'SUBGRAPH_UNREACHABLE') this.scheduleRetry();
    }
  }

  /** One full load: file → SDLs → composition. Throws SupergraphLoadError. */
  private async load(previous: Composed | undefined): Promise<Composed> {
    let entries: SubgraphEntry[];
    try {
      ({ text: this.lastText, entries } = this.readList());
    } catch (error) {
      throw toLoadError(error);
    }
    // Sources for entries no longer listed are dropped, so the cache follows the file.
    for (const key of this.sources.keys()) {
      if (!entries.some((entry) => key === sourceKey(entry))) this.sources.delete(key);
    }
    const services = await fetchSubgraphs(entries, this.dataSourceFor, this.options.fetchTimeoutMs);
    return composeSupergraph(services, previous);
  }

  /** One read: the text compared on file events is the text the entries came from. Services listed for their calls are not composed. */
  private readList(): { text: string; entries: SubgraphEntry[] } {
    let text: string;
    try {
      text = fs.readFileSync(this.options.subgraphsFile, 'utf8');
    } catch {
      return { text: '', entries: subgraphsOf(readSubgraphList(this.options.subgraphsFile)) }; // throws, naming the read error
    }
    return { text, entries: subgraphsOf(parseSubgraphList(text, this.options.subgraphsFile)) };
  }

  private readonly dataSourceFor: DataSourceFor = (entry) => {
    const build = this.options.buildDataSource;
    if (!build) return this.getDataSource!(entry);
    let source = this.sources.get(sourceKey(entry));
    if (!source) {
      source = build(entry);
      this.sources.set(sourceKey(entry), source);
    }
    return source;
  };

  private follow(): void {
    const file = this.options.subgraphsFile;
    if (this.options.watch !== false) {
      this.watch = watchFile(file, () => this.onListEvent(), {
        debounceMs: this.options.debounceMs,
        onError: (error) => this.options.logger.warn(`not watching ${file} (${oneLine(error)}); changes are picked up by polling only`),
      });
    }
    this.schedulePoll();
  }

  private onListEvent(): void {
    let text: string | undefined;
    try {
      text = fs.readFileSync(this.options.subgraphsFile, 'utf8');
    } catch {
      text = undefined; // gone or unreadable: let the reload report it
    }
    // The folder sees events for other files too; only a changed list (or a retry after a failure) reloads.
    if (text !== undefined && text === this.lastText && !this.health.lastAttemptFailed) return;
    this.retries.reset(); // a new list gets a fresh set of retries
    void this.reload();
  }

  private schedulePoll(): void {
    const interval = this.options.pollIntervalMs ?? 0;
    if (interval <= 0 || this.stopped) return;
    this.pollTimer = setTimeout(() => {
      void this.reload().then(() => this.schedulePoll());
    }, interval);
    this.pollTimer.unref();
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    const delay = this.retries.next();
    if (delay === undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.reload();
    }, delay);
  }
}

const sourceKey = ({ name, url }: SubgraphEntry) => `${name} ${url}`;
