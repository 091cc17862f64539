/**
 * The verification rules every token in this project goes through (RFC 8725):
 * a size bound before parsing, one pinned algorithm, an explicit `typ`,
 * issuer, audience and required claims, and a small clock skew. jose never
 * follows `jku`/`x5u`/embedded `jwk` headers: keys come only from the key
 * resolver we pass, which selects among known keys by `kid`.
 */
import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AuthError } from './errors.js';

export const SIGNING_ALGORITHM = 'EdDSA';
export const MAX_TOKEN_BYTES = 8 * 1024;
export const CLOCK_SKEW_SECONDS = 5;

export interface VerifyRules {
  typ: string;
  issuer: string | string[];
  audience: string;
  requiredClaims: string[];
  algorithms?: string[];
}

export async function verifyJwt(token: string, keys: JWTVerifyGetKey, rules: VerifyRules): Promise<JWTPayload> {
  if (token.length > MAX_TOKEN_BYTES) {
    throw new AuthError('TOKEN_INVALID', `token is larger than ${MAX_TOKEN_BYTES} bytes`);
  }
  try {
    const { payload } = await jwtVerify(token, keys, {
      algorithms: rules.algorithms ?? [SIGNING_ALGORITHM],
      typ: rules.typ,
      issuer: rules.issuer,
      audience: rules.audience,
      requiredClaims: ['exp', 'iat', ...rules.requiredClaims],
      clockTolerance: CLOCK_SKEW_SECONDS,
    });
    return payload;
  } catch (error) {
    throw toAuthError(error);
  }
}

/** jose's error classes, sorted into the two things a caller can act on. */
export function toAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof errors.JWTExpired) {
    return new AuthError('TOKEN_EXPIRED', 'token has expired', { cause: error });
  }
  if (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    // A JWKS fetch that failed at the network level or answered non-200.
    !(error instanceof errors.JOSEError) ||
    error.code === 'ERR_JOSE_GENERIC'
  ) {
    return new AuthError('KEYS_UNAVAILABLE', 'verification keys are unavailable', { cause: error });
  }
  const reason = error instanceof errors.JWTClaimValidationFailed ? `: ${error.claim} claim check failed` : '';
  return new AuthError('TOKEN_INVALID', `token is invalid${reason}`, { cause: error });
}

export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization === '') return undefined;
  const match = /^Bearer ([A-Za-z0-9\-_.~+/]+=*)$/i.exec(authorization.trim());
  if (!match) throw new AuthError('TOKEN_INVALID', 'Authorization header must be "Bearer <token>"');
  return match[1];
}
