/**
 * Every error code a client of the gateway or of a subgraph can see, with
 * its HTTP status: one table, one union. The authentication refusals and
 * UNAUTHORIZED_FIELD_OR_TYPE are the subgraph kit's (@fedgw/subgraph-kit,
 * errors.ts: subgraphs answer them too); this file adds what only the
 * gateway answers. Clients and tests rely on the code, never on the message
 * text, so a code is never renamed once it has shipped. docs/design.md lists
 * them for readers.
 *
 * A non-GraphQL error is `{"error":{"code","message"}}` (errorBody); a
 * GraphQL error carries the code in `extensions.code` (toGraphQLError, the kit's).
 */
import { AUTH_ERROR_STATUS, CodedError, DOWNSTREAM_UNAVAILABLE, DOWNSTREAM_UNAVAILABLE_STATUS, UNAUTHORIZED_CODE, UNAUTHORIZED_STATUS } from '@fedgw/subgraph-kit';

export const PUBLIC_ERROR_STATUS = {
  // --- authentication (AuthError, the kit's) ----------------------------
  ...AUTH_ERROR_STATUS,

  // --- abuse and limits -------------------------------------------------
  /** Too many login attempts from this client or for this username; see Retry-After. */
  RATE_LIMITED: 429,
  /** The request body is larger than MAX_REQUEST_BYTES. */
  PAYLOAD_TOO_LARGE: 413,
  /** The body nests arrays/objects deeper than MAX_JSON_DEPTH. */
  JSON_TOO_DEEP: 400,
  /** The query text is longer than MAX_QUERY_LENGTH or has more than MAX_QUERY_TOKENS tokens. */
  QUERY_TOO_LARGE: 400,
  /** The operation nests fields deeper than MAX_QUERY_DEPTH. */
  QUERY_TOO_DEEP: 400,
  /** The operation uses more than MAX_QUERY_ALIASES aliases. */
  TOO_MANY_ALIASES: 400,
  /** The operation has more than MAX_ROOT_FIELDS top-level fields. */
  TOO_MANY_ROOT_FIELDS: 400,
  /** The request itself is malformed (bad JSON, not UTF-8, wrong shape). */
  BAD_REQUEST: 400,
  /** Its headers did not arrive within HTTP_HEADERS_TIMEOUT_MS, or the whole request within HTTP_REQUEST_TIMEOUT_MS (a slow or unterminated body). */
  REQUEST_TIMEOUT: 408,
  /** Its headers are larger than HTTP_MAX_HEADER_BYTES. */
  HEADERS_TOO_LARGE: 431,

  // --- signing in through an OpenID Connect provider (gateway/auth/oidc/) ---
  /** `return_to` is not a path on this gateway (`//evil.example`, `https://…`, `/\\evil`). */
  RETURN_TO_INVALID: 400,
  /** The callback's `state` is missing, wrong, already used or expired, or the browser is not the one that started the sign-in. */
  OIDC_STATE_INVALID: 400,
  /** The provider answered the sign-in with an error (`error=access_denied`, …). */
  OIDC_PROVIDER_ERROR: 400,
  /** The callback's `iss` (RFC 9207) is not the configured provider: a mix-up. */
  OIDC_ISSUER_MISMATCH: 400,
  /** The provider refused the authorization code (replayed, expired, or the PKCE verifier does not match). */
  OIDC_GRANT_REJECTED: 400,
  /** The ID token failed a check: signature, algorithm, issuer, audience, expiry or nonce. */
  OIDC_ID_TOKEN_INVALID: 400,
  /** The provider could not be reached (discovery, token endpoint). */
  OIDC_PROVIDER_UNAVAILABLE: 503,
  /** No one-time sign-in ticket with this request, or one already used or expired (token mode). */
  TICKET_INVALID: 400,

  // --- authorization ------------------------------------------------------
  /** A field or type the caller may not see (@authenticated, @requiresScopes, @policy): null at its path. */
  [UNAUTHORIZED_CODE]: UNAUTHORIZED_STATUS,

  // --- calls beyond the subgraphs (downstream services, shared/downstream-service.ts) ---
  /** A downstream service: what was asked for is not the caller's (an unknown one neither: no probing). */
  FORBIDDEN: 403,
  /** A subgraph's field: the downstream service it called refused without a code of its own, or answered no JSON. */
  DOWNSTREAM_ERROR: 200,
  /** A subgraph's field: the downstream service it called did not answer (the kit's DownstreamUnavailableError). */
  [DOWNSTREAM_UNAVAILABLE]: DOWNSTREAM_UNAVAILABLE_STATUS,

  // --- a subgraph that did not answer a fetch (gateway/subgraph-failure.ts) ---
  /** Its fields are null, each error naming it (`extensions.subgraph`) at the field's path: no URL, in every environment. */
  SUBGRAPH_UNAVAILABLE: 200,

  // --- readiness and the service itself -----------------------------------
  /** The gateway has not composed a supergraph yet. */
  GATEWAY_NOT_READY: 503,
  /** GET /metrics without the bearer token METRICS_TOKEN asks for (missing and wrong are not told apart). */
  METRICS_TOKEN_REQUIRED: 401,
  /** The playground page was asked for but its bundle is not built. */
  PLAYGROUND_NOT_BUILT: 503,
  /** No such endpoint. */
  NOT_FOUND: 404,
  /** A known endpoint asked with another method; see Allow. */
  METHOD_NOT_ALLOWED: 405,
  /** Anything unexpected; the details are in the log, never in the answer. */
  INTERNAL_SERVER_ERROR: 500,

  // --- why a supergraph (re)load failed: /readyz's `supergraph.failure.code`. The status is
  // /readyz's while no supergraph serves; with a last good one serving it stays 200. ---
  /** SUBGRAPHS_FILE is unreadable, not JSON, or fails validation. */
  SUBGRAPH_LIST_INVALID: 503,
  /** A subgraph did not give its SDL (down, refused the gateway's token, timed out, answered errors). */
  SUBGRAPH_UNREACHABLE: 503,
  /** The subgraphs do not compose (`codes` holds the composition error codes). */
  COMPOSITION_FAILED: 503,
  /** The gateway refused the composed supergraph. */
  SUPERGRAPH_REJECTED: 503,

  // --- codes Apollo Server and @apollo/gateway assign (kept, not ours to rename) ---
  GRAPHQL_PARSE_FAILED: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
  BAD_USER_INPUT: 400,
  OPERATION_RESOLUTION_FAILURE: 400,
  PERSISTED_QUERY_NOT_FOUND: 200,
  PERSISTED_QUERY_NOT_SUPPORTED: 200,
  /** A subgraph answered an error without a code of its own. */
  DOWNSTREAM_SERVICE_ERROR: 200,
} as const satisfies Record<string, number>;

export type PublicErrorCode = keyof typeof PUBLIC_ERROR_STATUS;

/** Refusals of a request for its size or shape (gateway/request-limits.ts). */
export type RequestLimitCode = Extract<
  PublicErrorCode,
  'PAYLOAD_TOO_LARGE' | 'JSON_TOO_DEEP' | 'QUERY_TOO_LARGE' | 'QUERY_TOO_DEEP' | 'TOO_MANY_ALIASES' | 'TOO_MANY_ROOT_FIELDS'
>;

/** Why a supergraph load failed (gateway/supergraph/). */
export type SupergraphFailureCode = Extract<
  PublicErrorCode,
  'SUBGRAPH_LIST_INVALID' | 'SUBGRAPH_UNREACHABLE' | 'COMPOSITION_FAILED' | 'SUPERGRAPH_REJECTED'
>;

/**
 * An error meant for the client, by one of the codes above: its status comes
 * from the table. (AuthError, the kit's, is a CodedError too: code that
 * answers any public error checks `instanceof CodedError`.)
 */
export class PublicError<Code extends PublicErrorCode = PublicErrorCode> extends CodedError<Code> {
  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(code, PUBLIC_ERROR_STATUS[code], message, options);
    this.name = 'PublicError';
  }
}

/** Any error with a public code: a PublicError, or one of the kit's AuthErrors. */
export type AnyPublicError = CodedError<PublicErrorCode>;

/**
 * The OAuth 2.0 token endpoint's errors (POST /auth/token), in RFC 6749
 * §5.2's own format `{"error","error_description"}`, with their statuses.
 */
export const OAUTH_ERROR_STATUS = {
  /** A parameter is missing, repeated or malformed; or the body is not form-encoded. */
  invalid_request: 400,
  /** The client could not be authenticated. */
  invalid_client: 401,
  /** The grant (a refresh token, a subject token) is unknown, expired, used, revoked or not for this client. */
  invalid_grant: 400,
  /** This client may not use this grant, or act for this target. */
  unauthorized_client: 400,
  /** This gateway does not answer this grant_type (in this auth mode). */
  unsupported_grant_type: 400,
  /** Scopes beyond what was granted. */
  invalid_scope: 400,
  /** RFC 8693: an audience or resource the token cannot be for. */
  invalid_target: 400,
  /** The shared store did not answer: try again (the token endpoint's SESSION_STORE_UNAVAILABLE). */
  temporarily_unavailable: 503,
  /** Anything unexpected; the details are in the log. */
  server_error: 500,
} as const satisfies Record<string, number>;

export type OAuthErrorCode = keyof typeof OAUTH_ERROR_STATUS;

export class OAuthError extends Error {
  readonly status: number;

  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
  ) {
    super(description);
    this.name = 'OAuthError';
    this.status = OAUTH_ERROR_STATUS[code];
  }

  /** RFC 6749 §5.2. */
  body() {
    return { error: this.code, error_description: this.description };
  }
}

/** The JSON body of a non-GraphQL error response (login, logout, readiness, limits). */
export function errorBody(code: PublicErrorCode, message: string) {
  return { error: { code, message } };
}
