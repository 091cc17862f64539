/**
 * The refusals a caller can see from authentication and authorization, at
 * the gateway and in every subgraph, with their HTTP statuses. Clients,
 * gateways and tests rely on the code, never on the message text, so a code
 * is never renamed once it has shipped. The gateway's own repository adds
 * the codes only it answers (limits, readiness, OAuth) to this table.
 *
 * A subgraph answers five of them: TOKEN_MISSING, TOKEN_INVALID and
 * TOKEN_EXPIRED (401), KEYS_UNAVAILABLE and SESSION_STORE_UNAVAILABLE (503);
 * three more with request binding on, REQUEST_PROOF_MISSING, _INVALID and
 * _REPLAYED (401); and UNAUTHORIZED_FIELD_OR_TYPE inside a GraphQL answer. A downstream
 * service adds AUTHENTICATION_REQUIRED (401) and ACTOR_NOT_ALLOWED (403); a
 * subgraph whose call to one failed, TOKEN_EXCHANGE_FAILED on that field, or
 * DOWNSTREAM_UNAVAILABLE (not an authentication refusal: its own class).
 */
import { GraphQLError } from 'graphql';

/** The codes AuthError carries, with their statuses. */
export const AUTH_ERROR_STATUS = {
  /** Login with an unknown user or a wrong password (the two are not told apart). The gateway's only. */
  INVALID_CREDENTIALS: 401,
  /** A subgraph was called without the gateway's identity token. */
  TOKEN_MISSING: 401,
  /** Malformed, forged, wrong alg/typ/iss/aud, unknown key: anything but a good token. */
  TOKEN_INVALID: 401,
  /** A well-formed token from the right issuer whose lifetime is over. */
  TOKEN_EXPIRED: 401,
  /** A good token that was revoked before its end: its owner logged out, or its sign-in was revoked. The gateway's only. */
  TOKEN_REVOKED: 401,
  /** The keys needed to verify a token could not be fetched (JWKS unreachable). */
  KEYS_UNAVAILABLE: 503,
  /** The session store (or the login-limit store on it) did not answer in time. */
  SESSION_STORE_UNAVAILABLE: 503,
  /** A downstream service was called without a caller: no token, or no live session. */
  AUTHENTICATION_REQUIRED: 401,
  /** A downstream service was called by an actor (the `act` of its token) it does not take calls from. */
  ACTOR_NOT_ALLOWED: 403,
  /** A subgraph could not exchange the caller's token for a downstream service's (the gateway refused, or did not answer). */
  TOKEN_EXCHANGE_FAILED: 502,
  /** Request binding is on and the request has no request proof (request-proof.ts). */
  REQUEST_PROOF_MISSING: 401,
  /** The request proof is not the gateway's, has expired, or does not fit this request: another body, method, path, subgraph or credential. */
  REQUEST_PROOF_INVALID: 401,
  /** The request proof was used before: a replayed request. */
  REQUEST_PROOF_REPLAYED: 401,
} as const satisfies Record<string, number>;

/** The codes of authentication refusals: what AuthError carries. */
export type AuthErrorCode = keyof typeof AUTH_ERROR_STATUS;

/** The refusals a subgraph answers a request with, before any resolver runs. */
export const SUBGRAPH_REFUSAL_CODES = [
  'TOKEN_MISSING',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'KEYS_UNAVAILABLE',
  'SESSION_STORE_UNAVAILABLE',
  'REQUEST_PROOF_MISSING',
  'REQUEST_PROOF_INVALID',
  'REQUEST_PROOF_REPLAYED',
] as const satisfies readonly AuthErrorCode[];

export type SubgraphRefusalCode = (typeof SUBGRAPH_REFUSAL_CODES)[number];

/** The error code of a field or type the caller may not see, at the gateway and in subgraphs: the field is null, the answer 200. */
export const UNAUTHORIZED_CODE = 'UNAUTHORIZED_FIELD_OR_TYPE';
export const UNAUTHORIZED_STATUS = 200;

/** An error meant for the client: its code and status are public, its message is written for them. */
export class CodedError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CodedError';
  }
}

/** A refusal for an authentication reason: a credential that is missing, bad, or cannot be checked now. */
export class AuthError extends CodedError<AuthErrorCode> {
  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, AUTH_ERROR_STATUS[code], message, options);
    this.name = 'AuthError';
  }
}

/** A downstream service a subgraph called on the caller's behalf did not answer: not an authentication refusal, so not an AuthError. */
export const DOWNSTREAM_UNAVAILABLE = 'DOWNSTREAM_UNAVAILABLE';
export const DOWNSTREAM_UNAVAILABLE_STATUS = 502;

export class DownstreamUnavailableError extends CodedError<typeof DOWNSTREAM_UNAVAILABLE> {
  constructor(service: string, options?: { cause?: unknown }) {
    super(DOWNSTREAM_UNAVAILABLE, DOWNSTREAM_UNAVAILABLE_STATUS, `${service} did not answer`, options);
    this.name = 'DownstreamUnavailableError';
  }
}

/**
 * The edge conversion for GraphQL endpoints: Apollo Server (and
 * graphql-yoga) turn `extensions.http.status` into the response status, so
 * a bad token is an HTTP 401, not a GraphQL 200 with an error inside.
 */
export function toGraphQLError(error: CodedError): GraphQLError {
  return new GraphQLError(error.message, {
    extensions: { code: error.code, http: { status: error.status } },
  });
}
