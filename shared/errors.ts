import { GraphQLError } from 'graphql';

/**
 * Every refusal the gateway or a subgraph makes for an authentication reason
 * has one of these codes. Clients and tests rely on the code, never on the
 * message text, so a code is never renamed once it has shipped.
 */
export type AuthErrorCode =
  /** Login with an unknown user or a wrong password (the two are not told apart). */
  | 'INVALID_CREDENTIALS'
  /** A subgraph was called without the gateway's identity token. */
  | 'TOKEN_MISSING'
  /** Malformed, forged, wrong alg/typ/iss/aud, unknown key: anything but a good token. */
  | 'TOKEN_INVALID'
  /** A well-formed token from the right issuer whose lifetime is over. */
  | 'TOKEN_EXPIRED'
  /** The keys needed to verify a token could not be fetched (JWKS unreachable). */
  | 'KEYS_UNAVAILABLE'
  /** The session store did not answer in time. */
  | 'SESSION_STORE_UNAVAILABLE'
  /** The request itself is malformed (bad JSON, wrong shape). */
  | 'BAD_REQUEST'
  /** The gateway has not composed a supergraph yet. */
  | 'GATEWAY_NOT_READY'
  /** Too many login attempts from this client or for this username; see Retry-After. */
  | 'RATE_LIMITED'
  /** GET /metrics without the bearer token METRICS_TOKEN asks for (missing and wrong are not told apart). */
  | 'METRICS_TOKEN_REQUIRED';

const HTTP_STATUS: Record<AuthErrorCode, number> = {
  INVALID_CREDENTIALS: 401,
  TOKEN_MISSING: 401,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  KEYS_UNAVAILABLE: 503,
  SESSION_STORE_UNAVAILABLE: 503,
  BAD_REQUEST: 400,
  GATEWAY_NOT_READY: 503,
  RATE_LIMITED: 429,
  METRICS_TOKEN_REQUIRED: 401,
};

export class AuthError extends Error {
  readonly code: AuthErrorCode;
  readonly status: number;

  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthError';
    this.code = code;
    this.status = HTTP_STATUS[code];
  }
}

/** The JSON body of a non-GraphQL error response (login, logout, readiness). */
export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/**
 * The edge conversion for GraphQL endpoints: Apollo Server turns
 * `extensions.http.status` into the response status, so a bad token is an
 * HTTP 401, not a GraphQL 200 with an error inside.
 */
export function toGraphQLError(error: AuthError): GraphQLError {
  return new GraphQLError(error.message, {
    extensions: { code: error.code, http: { status: error.status } },
  });
}
