/**
 * The subgraph end of an auth mode: a request's headers in, the caller's
 * Identity (or null for anonymous) out, or an AuthError to refuse the
 * request. Each mode is a folder next to this file; index.ts lists them. The
 * gateway's end of each mode lives in the gateway's repository, which ties
 * the two ends of a mode together (its shared/auth-modes/).
 */
import type { SubgraphCost } from '../auth-cost.js';
import type { SubgraphKitConfig } from '../config.js';
import type { RequestHeaders } from '../headers.js';
import type { Identity } from '../identity.js';
import type { Readiness } from '../readiness.js';

export interface SubgraphAuthenticator {
  /** The caller's identity, null when anonymous; throws AuthError to refuse the request. Adds what it did to `cost`. */
  identify(headers: RequestHeaders, cost: SubgraphCost): Promise<Identity | null>;
  /** Whether what this mode needs to serve (session mode: the store) answers now. */
  readiness(): Promise<Readiness>;
  close(): Promise<void>;
}

/** Told about every session-store call, after it ends (metrics: reads, errors, latency). */
export interface SessionStoreObserver {
  observe(operation: 'get' | 'set' | 'destroy' | 'touch', seconds: number, failed: boolean): void;
}

export interface SubgraphModeContext {
  config: SubgraphKitConfig;
  /** For a mode that reads the shared store (session mode): told of every session read. */
  storeObserver?: SessionStoreObserver;
}

/** A mode's subgraph end, loaded on first use. */
export type SubgraphModeDefinition = (context: SubgraphModeContext) => Promise<SubgraphAuthenticator>;
