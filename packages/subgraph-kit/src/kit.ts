/**
 * The framework-neutral core: settings validated once, then, for each
 * request, its headers in and the caller out — an Identity, null for an
 * anonymous caller, or a refusal (AuthError: a stable code and its HTTP
 * status, 401 for TOKEN_MISSING/TOKEN_INVALID/TOKEN_EXPIRED, 503 for
 * KEYS_UNAVAILABLE/SESSION_STORE_UNAVAILABLE). The adapters (./apollo,
 * ./yoga, ./express) put this on each framework's request.
 *
 * With request binding on (REQUEST_BINDING), the caller's credential counts
 * only with the gateway's proof for this very request (request-proof.ts):
 * identify then needs the request's method, path and body too, and refuses
 * with REQUEST_PROOF_MISSING/_INVALID/_REPLAYED (401).
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
import { AuthError } from './errors.js';
import { JWKS_REFETCH_COOLDOWN_SECONDS, remoteKeys } from './jwt.js';
import { createRequestProofVerifier, type ProvenRequest } from './request-proof.js';

/** What request binding checks besides the headers: the request as the subgraph received it. */
export type BoundRequest = Omit<ProvenRequest, 'headers'>;

/** What an adapter needs: who the caller is, and whether to report what finding out cost. */
export interface IdentitySource {
  /** The caller, null when anonymous; rejects with AuthError to refuse the request. `request`: needed when `requestBinding` is on. */
  identify(headers: RequestHeaders, cost?: SubgraphCost, request?: BoundRequest): Promise<Identity | null>;
  /** Request binding is on: adapters pass identify the request's method, path and body. */
  readonly requestBinding?: boolean;
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
  // A new gateway key is fetched when its first token or proof arrives (the gateway's activation delay makes sure it is published by then).
  const gatewayKeys = remoteKeys(validated.gatewayJwksUrl, { cooldownMs: JWKS_REFETCH_COOLDOWN_SECONDS * 1000 });
  const authenticator: SubgraphAuthenticator = await SUBGRAPH_MODES[validated.mode]({ config: validated, storeObserver: options.storeObserver, gatewayKeys });
  const identify = boundIdentify(validated, authenticator, gatewayKeys);
  let closed: Promise<void> | undefined;
  return {
    config: validated,
    reportsCost: !validated.production,
    requestBinding: validated.requestBinding,
    identify: (headers, cost = emptySubgraphCost(), request) => identify(headers, cost, request),
    downstream: (headers, cost, onCost, hops) => downstreamCalls(authenticator, validated.downstream, headers, cost, onCost, hops),
    jwks: authenticator.jwks,
    readiness: () => authenticator.readiness(),
    close: () => (closed ??= authenticator.close()),
  };
}

/**
 * The mode's identify, and with request binding on, the proof after it: the
 * mode's refusals (TOKEN_MISSING, …) keep their meaning, and the proof is
 * checked against the credential the mode accepted.
 */
function boundIdentify(config: SubgraphKitConfig, authenticator: SubgraphAuthenticator, keys: Parameters<typeof createRequestProofVerifier>[0]['keys']) {
  if (!config.requestBinding) return (headers: RequestHeaders, cost: SubgraphCost) => authenticator.identify(headers, cost);
  const verifyProof = createRequestProofVerifier({ keys, issuer: config.gatewayIssuer, audience: config.name });
  return async (headers: RequestHeaders, cost: SubgraphCost, request?: BoundRequest) => {
    if (!request) throw new AuthError('REQUEST_PROOF_INVALID', 'request binding is on: identify needs the request (method, path, body)');
    const identity = await authenticator.identify(headers, cost);
    await verifyProof({ ...request, headers });
    return identity;
  };
}
