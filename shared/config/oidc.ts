/**
 * The OpenID Connect provider settings (OIDC_*): accepting its access tokens
 * as bearer tokens (token mode), and signing people in through it (both
 * modes, gateway/auth/oidc/). Validated once, at start, like every setting.
 */
import { createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import { ConfigError, httpUrl, integer, optional, type Env } from '@fedgw/subgraph-kit';

export interface OidcConfig {
  issuer: string;
  /** OIDC_AUDIENCE + OIDC_JWKS_URL: the provider's access tokens are accepted too (token mode). */
  accessTokens: OidcAccessTokensConfig | undefined;
  /** OIDC_CLIENT_ID: people sign in through the provider (authorization code flow with PKCE). */
  signIn: OidcSignInConfig | undefined;
}

export interface OidcAccessTokensConfig {
  audience: string;
  jwksUrl: string;
  /** After a JWKS fetch, how long an unknown `kid` waits before it may trigger another. */
  jwksCooldownSeconds: number;
}

export type OidcClientAuth = { method: 'client_secret_basic'; secret: string } | { method: 'private_key_jwt'; keyPem: string; alg: 'RS256' | 'ES256' | 'EdDSA' } | { method: 'none' };

export interface OidcSignInConfig {
  clientId: string;
  clientAuth: OidcClientAuth;
  /** PUBLIC_URL + /auth/oidc/callback: what to register at the provider. */
  redirectUri: string;
  /** Where the provider sends the browser after an RP-initiated logout. */
  postLogoutRedirectUri: string;
  /** OIDC_SCOPES: what to ask for (`openid` always among them). */
  scopes: string;
  /** OIDC_SCOPES_CLAIM: the claim that carries the user's scopes or roles (a space-separated string or a list). */
  scopesClaim: string;
  /** OIDC_PROVIDER_NAME: shown as "Sign in with …". */
  providerName: string;
  /** The issuer is plain http:// on loopback (a development provider). */
  allowHttp: boolean;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export function parseOidc(env: Env, publicUrl: string): OidcConfig | undefined {
  const issuer = optional(env, 'OIDC_ISSUER');
  const accessTokens = parseAccessTokens(env);
  const signIn = issuer === undefined ? refuseClientWithoutIssuer(env) : parseSignIn(env, issuer, publicUrl);
  if (issuer === undefined) return undefined;
  if (!accessTokens && !signIn) {
    throw new ConfigError('OIDC_CLIENT_ID', 'set with OIDC_ISSUER, to sign in through the provider (or OIDC_AUDIENCE and OIDC_JWKS_URL, to accept its access tokens)', undefined);
  }
  checkIssuer(issuer);
  return { issuer, accessTokens, signIn };
}

function checkIssuer(issuer: string): void {
  let url: URL | undefined;
  try {
    url = new URL(issuer);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname)))) {
    throw new ConfigError('OIDC_ISSUER', 'an https:// URL (http:// only on loopback, for a development provider)', issuer);
  }
}

function parseAccessTokens(env: Env): OidcAccessTokensConfig | undefined {
  const names = ['OIDC_ISSUER', 'OIDC_AUDIENCE', 'OIDC_JWKS_URL'] as const;
  if (optional(env, 'OIDC_AUDIENCE') === undefined && optional(env, 'OIDC_JWKS_URL') === undefined) return undefined;
  const set = names.filter((name) => optional(env, name) !== undefined);
  const missing = names.find((name) => !set.includes(name));
  if (missing) throw new ConfigError(missing, `set together with ${set.join(' and ')}`, undefined);
  return {
    audience: optional(env, 'OIDC_AUDIENCE')!,
    jwksUrl: httpUrl(env, 'OIDC_JWKS_URL', ''),
    jwksCooldownSeconds: integer(env, 'OIDC_JWKS_COOLDOWN', 30, 0, 3600),
  };
}

function refuseClientWithoutIssuer(env: Env): undefined {
  for (const name of ['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_CLIENT_KEY_FILE']) {
    if (optional(env, name) !== undefined) throw new ConfigError('OIDC_ISSUER', `set with ${name}`, undefined);
  }
  return undefined;
}

function parseSignIn(env: Env, issuer: string, publicUrl: string): OidcSignInConfig | undefined {
  const clientId = optional(env, 'OIDC_CLIENT_ID');
  if (clientId === undefined) return refuseSecretsWithoutClient(env);
  const scopes = optional(env, 'OIDC_SCOPES') ?? 'openid profile';
  if (!scopes.split(/\s+/).includes('openid')) throw new ConfigError('OIDC_SCOPES', 'a space-separated list of scopes that includes openid', scopes);
  const scopesClaim = optional(env, 'OIDC_SCOPES_CLAIM') ?? 'scope';
  if (!/^[A-Za-z0-9_:.\/-]{1,128}$/.test(scopesClaim)) throw new ConfigError('OIDC_SCOPES_CLAIM', 'a claim name (letters, digits, _ : . / -)', scopesClaim);
  const base = publicUrl.replace(/\/+$/, '');
  return {
    clientId,
    clientAuth: parseClientAuth(env),
    redirectUri: `${base}/auth/oidc/callback`,
    postLogoutRedirectUri: `${base}/graphql`,
    scopes,
    scopesClaim,
    providerName: optional(env, 'OIDC_PROVIDER_NAME') ?? new URL(issuer).hostname,
    allowHttp: new URL(issuer).protocol === 'http:',
  };
}

function refuseSecretsWithoutClient(env: Env): undefined {
  for (const name of ['OIDC_CLIENT_SECRET', 'OIDC_CLIENT_KEY_FILE']) {
    if (optional(env, name) !== undefined) throw new ConfigError('OIDC_CLIENT_ID', `set with ${name}`, undefined);
  }
  return undefined;
}

function parseClientAuth(env: Env): OidcClientAuth {
  const secret = optional(env, 'OIDC_CLIENT_SECRET');
  const keyFile = optional(env, 'OIDC_CLIENT_KEY_FILE');
  if (secret !== undefined && keyFile !== undefined) throw new ConfigError('OIDC_CLIENT_KEY_FILE', 'unset when OIDC_CLIENT_SECRET is set (one way for the gateway to authenticate)', keyFile);
  if (secret !== undefined) return { method: 'client_secret_basic', secret };
  if (keyFile === undefined) return { method: 'none' };
  let keyPem: string;
  try {
    keyPem = fs.readFileSync(keyFile, 'utf8');
  } catch (error) {
    throw new ConfigError('OIDC_CLIENT_KEY_FILE', `a readable PKCS#8 PEM private key file (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`, keyFile);
  }
  return { method: 'private_key_jwt', keyPem, alg: clientKeyAlgorithm(keyPem, keyFile) };
}

/** The algorithm the client's assertions are signed with, from its key: RSA, P-256 or Ed25519, in PKCS#8. */
function clientKeyAlgorithm(keyPem: string, keyFile: string): 'RS256' | 'ES256' | 'EdDSA' {
  const wanted = 'a PKCS#8 PEM private key (RSA, EC P-256 or Ed25519)';
  if (!keyPem.includes('-----BEGIN PRIVATE KEY-----')) throw new ConfigError('OIDC_CLIENT_KEY_FILE', wanted, keyFile);
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new ConfigError('OIDC_CLIENT_KEY_FILE', wanted, keyFile);
  }
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new ConfigError('OIDC_CLIENT_KEY_FILE', wanted, keyFile);
}
