/**
 * @fedgw/subgraph-kit: the subgraph side of the federated gateway's auth
 * contract, framework-neutral — settings validated once, then each request's
 * headers in and the caller out (an Identity, null for anonymous, or a coded
 * refusal), and @authenticated/@requiresScopes/@policy enforced on the
 * subgraph's own schema.
 *
 * Adapters: ./apollo (Apollo Server 5), ./yoga (graphql-yoga 5), ./express
 * (Express or plain Node). The contract modules the gateway shares with
 * subgraphs: ./token, ./session, ./authorization, ./redis, ./request-proof.
 */
export { createDownstreamKit, type DownstreamKit, type DownstreamKitOptions } from './downstream.js';
export { downstreamCalls, type DownstreamCalls, type DownstreamInit } from './downstream-calls.js';
export type { Actor, DownstreamCaller } from './modes/token/downstream-token.js';
export { type BoundRequest, createSubgraphKit, type IdentityContext, type IdentitySource, type SubgraphKit, type SubgraphKitOptions } from './kit.js';
export {
  configFromEnv,
  DEFAULT_GATEWAY_JWKS_URL,
  DEFAULT_STORE,
  defineConfig,
  isValidatedConfig,
  parseStore,
  parseStoreValue,
  type StoreConfig,
  SUBGRAPH_NAME_PATTERN,
  type SubgraphKitConfig,
  type SubgraphKitSettings,
} from './config.js';
export { DOWNSTREAM_MODES, MODE_NAMES, type ModeName, SUBGRAPH_MODES } from './modes/index.js';
export type { DownstreamAuthenticator, DownstreamModeContext, DownstreamModeDefinition, SessionStoreObserver, SubgraphAuthenticator, SubgraphModeContext, SubgraphModeDefinition } from './modes/contract.js';
export { headerOf, type RequestHeaders } from './headers.js';
export { type Identity, type SignedInUser, hasScope, parseScopes, userIdentity } from './identity.js';
export {
  AUTH_ERROR_STATUS,
  AuthError,
  type AuthErrorCode,
  CodedError,
  DOWNSTREAM_UNAVAILABLE,
  DOWNSTREAM_UNAVAILABLE_STATUS,
  DownstreamUnavailableError,
  SUBGRAPH_REFUSAL_CODES,
  type SubgraphRefusalCode,
  toGraphQLError,
  UNAUTHORIZED_CODE,
  UNAUTHORIZED_STATUS,
} from './errors.js';
export { boolean, ConfigError, type Env, httpUrl, integer, oneOf, optional } from './env.js';
export { READY, type Readiness } from './readiness.js';
export { SQLITE_BUSY_TIMEOUT_MS, STORE_TIMEOUT_MS, StoreCalls, TimeoutError, withTimeout } from './timeout.js';
export { addCost, AUTH_COST_HEADER, emptySubgraphCost, formatSubgraphCost, parseSubgraphCost, type SubgraphCost } from './auth-cost.js';
export { AUTH_HOPS_HEADER, type DownstreamHop, formatHops, MAX_REPORTED_HOPS, noteHop, parseHops } from './auth-hops.js';
export { createPolicyRegistry, type DenialObserver, type DirectiveKind, type Policy, type PolicyRegistry } from './authorization/rules.js';
export { protectSchema, protectSubgraphSchema, type ProtectSchemaOptions } from './authorization/subgraph.js';
