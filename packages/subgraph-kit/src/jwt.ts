/**
 * The verification rules every token in this project goes through (RFC 8725):
 * a size bound before parsing, one pinned algorithm, an explicit `typ`,
 * issuer, audience and required claims, and a small clock skew. jose never
 * follows `jku`/`x5u`/embedded `jwk` headers: keys come only from the key
 * resolver we pass, which selects among known keys by `kid`.
 */
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AuthError } from './errors.js';

export const SIGNING_ALGORITHM = 'EdDSA';
/** Cache-Control max-age of the gateway's JWKS: how long a cache may serve a key set without a new key. */
export const JWKS_MAX_AGE_SECONDS = 300;
/** After a JWKS fetch, how long a subgraph waits before an unknown `kid` may make it fetch again. */
export const JWKS_REFETCH_COOLDOWN_SECONDS = 5;
export const MAX_TOKEN_BYTES = 8 * 1024;
export const CLOCK_SKEW_SECONDS = 5;

export interface VerifyRules {
  /** The one `typ` accepted; a list for external issuers whose tokens vary (`at+jwt`, `JWT`). */
  typ: string | string[];
  issuer: string | string[];
  audience: string;
  requiredClaims: string[];
  algorithms?: string[];
  /** Our own tokens carry exactly one audience; jose alone would accept a list that contains it. */
  singleAudience?: boolean;
}

export async function verifyJwt(token: string, keys: JWTVerifyGetKey, rules: VerifyRules): Promise<JWTPayload> {
  if (token.length > MAX_TOKEN_BYTES) {
    throw new AuthError('TOKEN_INVALID', `token is larger than ${MAX_TOKEN_BYTES} bytes`);
  }
  try {
    const { payload, protectedHeader } = await jwtVerify(token, keys, {
      algorithms: rules.algorithms ?? [SIGNING_ALGORITHM],
      typ: typeof rules.typ === 'string' ? rules.typ : undefined,
      issuer: rules.issuer,
      audience: rules.audience,
      requiredClaims: ['exp', 'iat', ...rules.requiredClaims],
      clockTolerance: CLOCK_SKEW_SECONDS,
    });
    if (rules.singleAudience && payload.aud !== rules.audience) {
      throw new AuthError('TOKEN_INVALID', 'token is invalid: aud claim check failed');
    }
    if (Array.isArray(rules.typ) && !rules.typ.includes(normalizeTyp(protectedHeader.typ))) {
      throw new AuthError('TOKEN_INVALID', 'token is invalid: unexpected "typ" header');
    }
    return payload;
  } catch (error) {
    throw toAuthError(error);
  }
}

/** RFC 8725 3.11: `typ` compares without the `application/` prefix, case-insensitively. */
function normalizeTyp(typ: string | undefined): string {
  return (typ ?? '').toLowerCase().replace(/^application\//, '');
}

function isKeyFetchFailure(error: unknown): boolean {
  return (
    !(error instanceof errors.JOSEError) ||
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    error.code === 'ERR_JOSE_GENERIC'
  );
}

export interface RemoteKeysOptions {
  /** How long a fetched key set is used before it is fetched again. */
  cacheMaxAgeMs?: number;
  /** After a fetch, how long an unknown `kid` waits before it may trigger another. */
  cooldownMs?: number;
  timeoutMs?: number;
}

/**
 * Keys from a JWKS URL (jose's remote key set: cached, refetched on an
 * unknown `kid` after a cool-down). When the key server cannot be reached but
 * keys were fetched before, verification goes on with those: a JWKS outage
 * must not take down every subgraph. Never fetched: KEYS_UNAVAILABLE (503).
 */
export function remoteKeys(url: string, options: RemoteKeysOptions = {}): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(new URL(url), {
    timeoutDuration: options.timeoutMs ?? 2000,
    cooldownDuration: options.cooldownMs ?? 30_000,
    cacheMaxAge: options.cacheMaxAgeMs ?? 10 * 60_000,
  });
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      const lastGood = remote.jwks();
      if (!lastGood || !isKeyFetchFailure(error)) throw error;
      try {
        return await createLocalJWKSet(lastGood)(header, token);
      } catch {
        // Not among the keys we have, and no way to ask: that is an outage, not a bad token.
        throw error;
      }
    }
  };
}

/** jose's error classes, sorted into the two things a caller can act on. */
export function toAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof errors.JWTExpired) {
    return new AuthError('TOKEN_EXPIRED', 'token has expired', { cause: error });
  }
  // A JWKS fetch that failed at the network level, timed out or answered non-200.
  if (isKeyFetchFailure(error)) {
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
