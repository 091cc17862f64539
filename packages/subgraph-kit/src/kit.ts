/**
 * The framework-neutral core: settings validated once, then, for each
 * request, its headers in and the caller out — an Identity, null for an
 * anonymous caller, or a refusal (AuthError: a stable code and its HTTP
 * status, 401 for TOKEN_MISSING/TOKEN_INVALID/TOKEN_EXPIRED, 503 for
 * KEYS_UNAVAILABLE/SESSION_STORE_UNAVAILABLE). The adapters (./apollo,
 * ./yoga, ./express) put this on each framework's request.
 *
 *   const kit = await createSubgraphKit(configFromEnv({ name: 'inventory' }));
 *   const identity = await kit.identify(request.headers); // throws AuthError
 *   await kit.close();
 */
import type { JSONWebKeySet } from 'jose';
import { emptySubgraphCost, type SubgraphCost } from './auth-cost.js';
import type { DownstreamHop } from './auth-hops.js';
import { downstreamCalls, type DownstreamCalls } from './downstream-calls.js';
import { defineConfig, type SubgraphKitConfig, type SubgraphKitSettings } from './config.js';
import type { RequestHeaders } from './headers.js';
import type { Identity } from './identity.js';
import type { SessionStoreObserver, SubgraphAuthenticator } from './modes/contract.js';
import { SUBGRAPH_MODES } from './modes/index.js';
import type { Readiness } from './readiness.js';

/** What an adapter needs: who the caller is, and whether to report what finding out cost. */
export interface IdentitySource {
  /** The caller, null when anonymous; rejects with AuthError to refuse the request. */
  identify(headers: RequestHeaders, cost?: SubgraphCost): Promise<Identity | null>;
  /** Outside production the adapters answer each request with `x-auth-cost` (auth-cost.ts) and `x-auth-hops` (auth-hops.ts). */
  readonly reportsCost: boolean;
  /**
   * Calls to downstream services on behalf of the caller of the request with `headers` (identified first).
   * `onCost`: the cost changed; `hops`: where each call is noted, when the adapter reports them.
   */
  downstream?(headers: RequestHeaders, cost: SubgraphCost, onCost?: () => void, hops?: DownstreamHop[]): DownstreamCalls;
}

export interface SubgraphKit extends IdentitySource {
  readonly config: SubgraphKitConfig;
  /** Whether what the mode needs (session mode: the store) answers now: for a readiness probe. */
  readiness(): Promise<Readiness>;
  /** Releases what the mode opened (the store connection). */
  close(): Promise<void>;
  downstream(headers: RequestHeaders, cost: SubgraphCost, onCost?: () => void, hops?: DownstreamHop[]): DownstreamCalls;
  /**
   * Token mode, with `downstream` services: this subgraph's public key set.
   * Serve it at GET /.well-known/jwks.json: the gateway checks the subgraph's
   * token-exchange requests against it.
   */
  readonly jwks: JSONWebKeySet | undefined;
}

export interface SubgraphKitOptions {
  /** Session mode: told of every session read (metrics). */
  storeObserver?: SessionStoreObserver;
}

/** What resolvers get in their context from every adapter. */
export interface IdentityContext {
  /** The caller, or null when anonymous. Set by the kit, never by resolvers. */
  identity: Identity | null;
  /** Calls to the kit's `downstream` services on the caller's behalf (where the adapter offers them). */
  downstream?: DownstreamCalls;
}

/**
 * The kit for one subgraph. `config` is what configFromEnv or defineConfig
 * returned, or settings to validate here (a bad one throws ConfigError).
 */
export async function createSubgraphKit(config: SubgraphKitConfig | SubgraphKitSettings, options: SubgraphKitOptions = {}): Promise<SubgraphKit> {
  const validated = defineConfig(config);
  const authenticator: SubgraphAuthenticator = await SUBGRAPH_MODES[validated.mode]({ config: validated, storeObserver: options.storeObserver });
  let closed: Promise<void> | undefined;
  return {
    config: validated,
    reportsCost: !validated.production,
    identify: (headers, cost = emptySubgraphCost()) => authenticator.identify(headers, cost),
    downstream: (headers, cost, onCost, hops) => downstreamCalls(authenticator, validated.downstream, headers, cost, onCost, hops),
    jwks: authenticator.jwks,
    readiness: () => authenticator.readiness(),
    close: () => (closed ??= authenticator.close()),
  };
}
