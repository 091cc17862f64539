/**
 * The subgraph end of an auth mode: a request's headers in, the caller's
 * Identity (or null for anonymous) out, or an AuthError to refuse the
 * request. Each mode is a folder next to this file; index.ts lists them. The
 * gateway's end of each mode lives in the gateway's repository, which ties
 * the two ends of a mode together (its shared/auth-modes/).
 */
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import type { SubgraphCost } from '../auth-cost.js';
import type { SubgraphKitConfig } from '../config.js';
import type { RequestHeaders } from '../headers.js';
import type { Identity } from '../identity.js';
import type { Readiness } from '../readiness.js';
import type { DownstreamCaller } from './token/downstream-token.js';

/** How a subgraph, or a downstream service, carries its caller on to the services it calls. */
export interface CallerForwarding {
  /**
   * What carries the caller of this request (`headers`, already identified) on to downstream service
   * `audience`: token mode, a downstream token exchanged at the gateway for the token this request
   * carries; session mode, the session id. Nothing for an anonymous caller. Throws AuthError
   * TOKEN_EXCHANGE_FAILED. `trace`: headers for the exchange request itself (request id, traceparent),
   * so the gateway logs it under the same ids.
   */
  credentialsFor(headers: RequestHeaders, audience: string, cost: SubgraphCost, trace?: Record<string, string>): Promise<Record<string, string>>;
  /** Token mode with downstream services: this service's public key set, for the gateway to check its client assertions. */
  readonly jwks?: JSONWebKeySet;
}

export interface SubgraphAuthenticator extends CallerForwarding {
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
  /** The gateway's public keys (GATEWAY_JWKS_URL), shared with request binding's checks; a mode makes its own when absent. */
  gatewayKeys?: JWTVerifyGetKey;
  /** For a mode that reads the shared store (session mode): told of every session read. */
  storeObserver?: SessionStoreObserver;
}

/** A mode's subgraph end, loaded on first use. */
export type SubgraphModeDefinition = (context: SubgraphModeContext) => Promise<SubgraphAuthenticator>;

/**
 * A downstream service's end of an auth mode (a service a subgraph calls on
 * the caller's behalf, not the gateway): who the caller is, and which
 * services act for them; a request without a caller is refused. It may call
 * further services in turn (its `downstream`), as a subgraph does.
 */
export interface DownstreamAuthenticator extends CallerForwarding {
  /** Throws AuthError: TOKEN_MISSING/TOKEN_INVALID/TOKEN_EXPIRED, AUTHENTICATION_REQUIRED, ACTOR_NOT_ALLOWED, KEYS_UNAVAILABLE, SESSION_STORE_UNAVAILABLE. */
  identify(headers: RequestHeaders, cost: SubgraphCost): Promise<DownstreamCaller>;
  readiness(): Promise<Readiness>;
  close(): Promise<void>;
}

export interface DownstreamModeContext extends SubgraphModeContext {
  /** The services whose calls it takes (token mode: the outermost `act`). */
  allowedActors: readonly string[];
}

export type DownstreamModeDefinition = (context: DownstreamModeContext) => Promise<DownstreamAuthenticator>;
