/**
 * The kit for a downstream service: a service that is not a subgraph, which
 * subgraphs call on their caller's behalf (the demo's `payments`). Same
 * settings as a subgraph's (its name is the audience of the tokens it takes),
 * plus the services whose calls it takes. Framework-neutral: headers in, the
 * caller and the actors out, or an AuthError with its status.
 *
 *   const kit = await createDownstreamKit(configFromEnv({ name: 'payments' }), { allowedActors: ['orders'] });
 *   const { identity, actors } = await kit.identify(request.headers); // throws AuthError
 *
 * It may call further services on the same caller's behalf, as a subgraph
 * does: its `downstream` setting names them (and the gateway's subgraph list
 * says the same, an entry `"kind": "service"`), `kit.jwks` is served at
 * /.well-known/jwks.json, and
 *
 *   await kit.downstream(request.headers, cost).fetch('ledger', `${ledgerUrl}/ledger/${id}`);
 *
 * exchanges the downstream token it received (token mode: the gateway nests
 * this service as the outermost actor) or forwards the session id.
 */
import type { JSONWebKeySet } from 'jose';
import { emptySubgraphCost, type SubgraphCost } from './auth-cost.js';
import { downstreamCalls, type DownstreamCalls } from './downstream-calls.js';
import { defineConfig, SUBGRAPH_NAME_PATTERN, type SubgraphKitConfig, type SubgraphKitSettings } from './config.js';
import { ConfigError } from './env.js';
import type { RequestHeaders } from './headers.js';
import type { SessionStoreObserver } from './modes/contract.js';
import { DOWNSTREAM_MODES } from './modes/index.js';
import type { DownstreamCaller } from './modes/token/downstream-token.js';
import type { Readiness } from './readiness.js';

export interface DownstreamKit {
  readonly config: SubgraphKitConfig;
  readonly reportsCost: boolean;
  /** Throws AuthError: TOKEN_MISSING, TOKEN_INVALID, TOKEN_EXPIRED, AUTHENTICATION_REQUIRED, ACTOR_NOT_ALLOWED, KEYS_UNAVAILABLE, SESSION_STORE_UNAVAILABLE. */
  identify(headers: RequestHeaders, cost?: SubgraphCost): Promise<DownstreamCaller>;
  /** Calls to its own `downstream` services on behalf of the caller of the request with `headers` (identified first). `onCost`: the cost changed. */
  downstream(headers: RequestHeaders, cost: SubgraphCost, onCost?: () => void): DownstreamCalls;
  /** Token mode, with `downstream` services: its public key set, to serve at GET /.well-known/jwks.json. */
  readonly jwks: JSONWebKeySet | undefined;
  readiness(): Promise<Readiness>;
  close(): Promise<void>;
}

export interface DownstreamKitOptions {
  /** Token mode: the services whose calls it takes (the `act` of the token: the one that called). */
  allowedActors: readonly string[];
  storeObserver?: SessionStoreObserver;
}

export async function createDownstreamKit(config: SubgraphKitConfig | SubgraphKitSettings, options: DownstreamKitOptions): Promise<DownstreamKit> {
  const validated = defineConfig(config);
  if (!Array.isArray(options.allowedActors) || options.allowedActors.some((name) => typeof name !== 'string' || !SUBGRAPH_NAME_PATTERN.test(name))) {
    throw new ConfigError('allowedActors', `a list of service names (${SUBGRAPH_NAME_PATTERN})`, JSON.stringify(options.allowedActors));
  }
  const authenticator = await DOWNSTREAM_MODES[validated.mode]({ config: validated, storeObserver: options.storeObserver, allowedActors: options.allowedActors });
  let closed: Promise<void> | undefined;
  return {
    config: validated,
    reportsCost: !validated.production,
    identify: (headers, cost = emptySubgraphCost()) => authenticator.identify(headers, cost),
    downstream: (headers, cost, onCost) => downstreamCalls(authenticator, validated.downstream, headers, cost, onCost),
    jwks: authenticator.jwks,
    readiness: () => authenticator.readiness(),
    close: () => (closed ??= authenticator.close()),
  };
}
