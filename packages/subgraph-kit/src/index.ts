/**
 * @fedgw/subgraph-kit: the subgraph side of the federated gateway's auth
 * contract, framework-neutral. Adapters: ./apollo, ./yoga, ./express. The
 * contract modules the gateway shares with subgraphs: ./token, ./session,
 * ./authorization, ./redis.
 */
export { type Identity, type SignedInUser, hasScope, parseScopes, userIdentity } from './identity.js';
export {
  AUTH_ERROR_STATUS,
  AuthError,
  type AuthErrorCode,
  CodedError,
  SUBGRAPH_REFUSAL_CODES,
  type SubgraphRefusalCode,
  toGraphQLError,
  UNAUTHORIZED_CODE,
  UNAUTHORIZED_STATUS,
} from './errors.js';
export { boolean, ConfigError, type Env, httpUrl, integer, oneOf, optional } from './env.js';
export { READY, type Readiness } from './readiness.js';
export { STORE_TIMEOUT_MS, TimeoutError, withTimeout } from './timeout.js';
export { AUTH_COST_HEADER, emptySubgraphCost, formatSubgraphCost, parseSubgraphCost, type SubgraphCost } from './auth-cost.js';
export { createPolicyRegistry, type DenialObserver, type DirectiveKind, type Policy, type PolicyRegistry } from './authorization/rules.js';
export { protectSubgraphSchema } from './authorization/subgraph.js';
