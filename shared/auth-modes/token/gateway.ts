/**
 * Token mode, the gateway's end. A client presents a bearer access token —
 * the gateway's own (minted at login and at each refresh) or an external
 * provider's — and each subgraph fetch carries an identity token addressed
 * to that subgraph. A logout revokes the access token and its sign-in for
 * every replica; a revoked token is refused from memory (revocation-list.ts).
 */
import type { Request } from 'express';
import { decodeJwt } from 'jose';
import { AuthError, READY } from '@fedgw/subgraph-kit';
import { bearerToken, MAX_TOKEN_BYTES, TOKEN_EXCHANGE_GRANT } from '@fedgw/subgraph-kit/token';
import { OAuthError } from '../../errors.js';
import type { GatewayConfig } from '../../config/gateway.js';
import type { SharedStore } from '../../store/contract.js';
import { ANONYMOUS, type Caller, type GatewayAuthStrategy, type GatewayModeContext, type ProviderSignIn, type SigningKeys, type TokenGrant, type TokenResponse } from '../contract.js';
import { gatewayAccessTokens, mintAccessToken, type AccessTokenVerifier, type VerifiedAccessToken } from './access-token.js';
import { externalAccessTokens } from './external-issuer.js';
import { exchangeGrant } from './exchange-grant.js';
import { tokenPropagation } from './propagation.js';
import { indexProviderSignIn, takeProviderSignIns } from '../provider-sign-ins.js';
import { newSignIn, refreshTokens, type SignIn } from './refresh-tokens.js';
import { RevocationList } from './revocation-list.js';

export async function tokenGateway({ config, keys, store, observer, exchangeClients }: GatewayModeContext): Promise<GatewayAuthStrategy> {
  const revocations = new RevocationList(store.revocations);
  await revocations.start();
  const propagation = tokenPropagation({ keys, issuer: config.gatewayIssuer, ttlSeconds: config.identityTokenTtlSeconds, observer });
  // Identity tokens cached for a revoked caller are signed again, for whoever is still signed in as them.
  revocations.onRevoked((revocation) => {
    if (revocation.sub) propagation.forget(revocation.sub);
  });
  const authenticate = bearerCallers([gatewayAccessTokens(keys, config.gatewayIssuer), ...(config.oidc?.accessTokens ? [externalAccessTokens(config.oidc.issuer, config.oidc.accessTokens)] : [])], revocations);
  const issue = tokenIssuer(config, keys, refreshTokens(store.refreshTokens));
  return {
    authenticate: (req) => authenticate(req),
    propagation,
    middleware: [],
    async signIn(_req, _res, user, origin) {
      const signIn = newSignIn(user, config.refreshTokenTtlSeconds);
      if (origin) await recordProviderSignIn(store, origin, signIn);
      return { body: { ...(await issue(signIn)) }, carriesTokens: true };
    },
    async signOut(req) {
      const { token } = await authenticate(req);
      if (!token) return { viaProvider: false };
      await revokeSignIn(revocations, token, config.refreshTokenTtlSeconds);
      return { viaProvider: token.sid !== undefined && (await store.tickets.take(`oidc-family:${token.sid}`)) !== null };
    },
    async endProviderSignIns(ref) {
      const families = await takeProviderSignIns(store, ref);
      const expiresAt = Date.now() + config.refreshTokenTtlSeconds * 1000;
      // With the subject, what the gateway cached for it is dropped too (as at a logout).
      for (const family of families) await revocations.revoke({ kind: 'family', id: family, ...(ref.sub ? { sub: ref.sub } : {}), expiresAt });
      return families.length;
    },
    grants: {
      refresh_token: refreshGrant(revocations, refreshTokens(store.refreshTokens), issue),
      ...(exchangeClients
        ? { [TOKEN_EXCHANGE_GRANT]: exchangeGrant({ issuer: config.gatewayIssuer, keys, clients: exchangeClients, revocations, store, ttlSeconds: config.identityTokenTtlSeconds }) }
        : {}),
    },
    readiness: async () => READY,
    close: () => revocations.close(),
  };
}

/**
 * A sign-in through an OpenID Connect provider: indexed for its back-channel
 * logout, and marked, so that logging out of it is told it came from the provider.
 */
async function recordProviderSignIn(store: SharedStore, origin: ProviderSignIn, signIn: SignIn): Promise<void> {
  await indexProviderSignIn(store, origin, signIn.family, signIn.expiresAt);
  await store.tickets.put(`oidc-family:${signIn.family}`, true, signIn.expiresAt);
}

/** A caller, and the access token it presented (what a logout revokes). */
interface BearerCaller extends Caller {
  token?: VerifiedAccessToken;
}

/** Verified access tokens whose issuer is remembered (a bound: the oldest are forgotten first). */
const MAX_REMEMBERED_TOKENS = 10_000;

/**
 * The caller behind a bearer token from any of the trusted issuers. The
 * unverified `iss` only picks which verifier runs; that verifier then checks
 * everything, its own issuer included. A token from any other issuer is
 * refused; so is a revoked one.
 */
export function bearerCallers(verifiers: AccessTokenVerifier[], revocations: Pick<RevocationList, 'isRevoked'>): (req: Request) => Promise<BearerCaller> {
  const byIssuer = new Map(verifiers.map((verifier) => [verifier.issuer, verifier]));
  // A token verified before goes straight to its issuer's verifier, without decoding it again: the
  // verifier's own cache answers it (until its exp), and revocation is checked below every time.
  // Only verified tokens are remembered, so forged ones cannot fill the map.
  const verifierOf = new Map<string, AccessTokenVerifier>();
  const findVerifier = (token: string): AccessTokenVerifier => {
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch (error) {
      throw new AuthError('TOKEN_INVALID', 'token is invalid: not a JWT', { cause: error });
    }
    const verifier = typeof issuer === 'string' ? byIssuer.get(issuer) : undefined;
    if (!verifier) throw new AuthError('TOKEN_INVALID', 'token is invalid: issuer is not trusted');
    return verifier;
  };
  const remember = (token: string, verifier: AccessTokenVerifier) => {
    if (verifierOf.size >= MAX_REMEMBERED_TOKENS) verifierOf.delete(verifierOf.keys().next().value!);
    verifierOf.set(token, verifier);
  };
  return async (req) => {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) return ANONYMOUS;
    if (token.length > MAX_TOKEN_BYTES) throw new AuthError('TOKEN_INVALID', `token is larger than ${MAX_TOKEN_BYTES} bytes`);
    const known = verifierOf.get(token);
    const verifier = known ?? findVerifier(token);
    const verified = await verifier.verify(token);
    if (!known) remember(token, verifier);
    if (revocations.isRevoked(verified.jti, verified.sid)) throw new AuthError('TOKEN_REVOKED', 'token was revoked (its owner logged out)');
    return { identity: verified.identity, token: verified, ...(verified.sid !== undefined ? { sid: verified.sid } : {}) };
  };
}

/**
 * The token response for a sign-in: a new access token and a new refresh token, both of its family.
 * No access token outlives its sign-in: a revocation of the sign-in is kept until the sign-in's end,
 * so a token that lived longer would come back to life once that revocation expired.
 */
function tokenIssuer(config: GatewayConfig, keys: SigningKeys, refresh: ReturnType<typeof refreshTokens>) {
  return async (signIn: SignIn, scopes = signIn.identity.scopes): Promise<TokenResponse> => {
    const identity = { ...signIn.identity, scopes: [...scopes] };
    const untilSignInEnds = Math.floor((signIn.expiresAt - Date.now()) / 1000);
    const ttlSeconds = Math.max(1, Math.min(config.accessTokenTtlSeconds, untilSignInEnds));
    const accessToken = await mintAccessToken(keys.current, identity, { issuer: config.gatewayIssuer, ttlSeconds, sid: signIn.family });
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: ttlSeconds,
      scope: scopes.join(' '),
      refresh_token: await refresh.issue(signIn),
    };
  };
}

/** A logout: the token itself until it expires, and its sign-in for as long as a refresh token of it could live. */
async function revokeSignIn(revocations: RevocationList, token: VerifiedAccessToken, refreshTtlSeconds: number): Promise<void> {
  const sub = token.identity.id;
  if (token.jti) await revocations.revoke({ kind: 'token', id: token.jti, sub, expiresAt: token.expiresAt });
  if (token.sid) await revocations.revoke({ kind: 'family', id: token.sid, sub, expiresAt: Date.now() + refreshTtlSeconds * 1000 });
}

/**
 * grant_type=refresh_token (RFC 6749 §6): a new access token and a new
 * refresh token; the one presented stops working. One presented again
 * revokes its whole sign-in (reuse detection, RFC 9700 §4.14.2).
 */
function refreshGrant(revocations: RevocationList, refresh: ReturnType<typeof refreshTokens>, issue: ReturnType<typeof tokenIssuer>): TokenGrant {
  return async (params) => {
    const token = params.refresh_token;
    if (!token) throw new OAuthError('invalid_request', 'refresh_token is required');
    const found = await refresh.redeem(token);
    if (!found || revocations.isRevoked(undefined, found.record.family)) throw new OAuthError('invalid_grant', 'the refresh token is unknown, expired or revoked');
    const { record, reused } = found;
    if (reused) {
      await revocations.revoke({ kind: 'family', id: record.family, sub: record.identity.id, expiresAt: record.expiresAt });
      throw new OAuthError('invalid_grant', 'the refresh token was already used: its sign-in is revoked');
    }
    const asked = params.scope?.split(' ').filter(Boolean);
    if (asked && asked.some((scope) => !record.identity.scopes.includes(scope))) throw new OAuthError('invalid_scope', 'scope asks for more than was granted');
    return issue(record, asked ?? record.identity.scopes);
  };
}
