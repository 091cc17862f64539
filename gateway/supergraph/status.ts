/**
 * What the live supergraph reports (GET /readyz's `supergraph`) and logs:
 * whether a supergraph serves, from which subgraphs, and the current
 * failure in one line with a stable code. A failure that repeats (polling
 * retries the same broken list) is logged when it starts or changes, not
 * every time.
 */
import type { Logger } from '../../shared/observability/logger.js';
import type { SupergraphFailureCode } from '../../shared/errors.js';
import { describeChange, type Composed, type SupergraphLoadError } from './compose.js';

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

export class SupergraphHealth {
  private readonly state: SupergraphStatus = { ready: false, subgraphs: [] };
  /** Whether the last load failed: a file event then reloads even for an unchanged list. */
  lastAttemptFailed = false;

  constructor(private readonly logger: Logger) {}

  snapshot(): SupergraphStatus {
    const { failure } = this.state;
    return { ...this.state, subgraphs: [...this.state.subgraphs], ...(failure ? { failure: { ...failure, subgraphs: [...failure.subgraphs] } } : {}) };
  }

  /** `logRepeats`: log this failure even when it is the same as the last (each attempt at start is logged). */
  failed(error: SupergraphLoadError, context: string, logRepeats = false): void {
    this.lastAttemptFailed = true;
    const line = `[${error.code}] ${error.message}`;
    const repeated = this.state.lastError === line;
    this.state.lastError = line;
    this.state.failure = {
      code: error.code,
      subgraphs: error.subgraphs,
      ...(error.codes ? { codes: error.codes } : {}),
      message: error.message,
      since: repeated && this.state.failure ? this.state.failure.since : new Date().toISOString(),
    };
    if (!repeated || logRepeats) this.logger.warn(`${context}: ${line}`);
  }

  /** A load succeeded with `next`; `previous` is what served before it, if anything. */
  succeeded(next: Composed, previous: Composed | undefined): void {
    this.lastAttemptFailed = false;
    const recovered = this.state.lastError !== undefined;
    this.state.ready = true;
    this.state.subgraphs = [...next.services.keys()];
    this.state.lastError = undefined;
    this.state.failure = undefined;
    const names = this.state.subgraphs.join(', ');
    if (previous?.sdl === next.sdl) {
      if (recovered) this.logger.info(`supergraph check passes again; still serving ${names}`);
      return;
    }
    this.state.composedAt = new Date().toISOString();
    this.logger.info(`supergraph composed from ${names}${previous ? ` (${describeChange(previous, next)})` : ''}`);
  }
}
