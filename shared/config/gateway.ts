/** The gateway's settings: the shared ones, and everything only the gateway reads. */
import { isIP } from 'node:net';
import path from 'node:path';
import { JWKS_MAX_AGE_SECONDS, JWKS_REFETCH_COOLDOWN_SECONDS } from '@fedgw/subgraph-kit/token';
import { parseRequestBinding } from '@fedgw/subgraph-kit/request-proof';
import { boolean, ConfigError, httpUrl, integer, optional, type Env } from '@fedgw/subgraph-kit';
import { commonConfig, type CommonConfig } from './common.js';
import { parseOidc, type OidcConfig } from './oidc.js';

export interface GatewayConfig extends CommonConfig {
  subgraphsFile: string;
  keysDir: string;
  /**
   * KEY_ACTIVATION_DELAY: a new key is published this long before it signs, so every replica and every
   * JWKS cache knows it first. Default: the JWKS's max-age plus the subgraphs' refetch cool-down.
   */
  keyActivationDelaySeconds: number;
  accessTokenTtlSeconds: number;
  /** REFRESH_TOKEN_TTL: how long a sign-in lasts in token mode, however often it is refreshed. */
  refreshTokenTtlSeconds: number;
  /** undefined only outside production: then a random per-process secret is used. */
  sessionSecret: string | undefined;
  sessionIdleTimeoutSeconds: number;
  sessionMaxAgeSeconds: number;
  /** Seconds between re-introspections of the subgraphs; 0 = off (the production default). */
  subgraphPollIntervalSeconds: number;
  /** Express's `trust proxy` setting, for Secure cookies and client IPs behind a proxy. */
  trustProxy: boolean | number | string | undefined;
  /** Serve the GraphQL playground on GET /graphql (browsers); off in production unless PLAYGROUND=true. */
  playground: boolean;
  /** AUTH_TRACE: answer each GraphQL request with `extensions.authTrace`; off in production unless AUTH_TRACE=true. */
  authTrace: boolean;
  /** PUBLIC_URL: where browsers reach the gateway (the OpenID Connect redirect URI is built on it). */
  publicUrl: string;
  /** An OpenID Connect provider: its access tokens accepted (token mode), people signed in through it (both modes). */
  oidc: OidcConfig | undefined;
  /** Request limits, introspection and login rate limits (gateway/request-limits.ts, gateway/auth/login-limits.ts). */
  hardening: HardeningConfig;
  /** REQUEST_BINDING: sign a request proof for every subgraph fetch (the kit's request-proof.ts). */
  requestBinding: boolean;
}

export interface HardeningConfig {
  /** GraphQL introspection (and field suggestions in errors); off in production unless INTROSPECTION=true or PLAYGROUND=true. */
  introspection: boolean;
  limits: {
    /** MAX_REQUEST_BYTES: a bigger /graphql body is a 413. */
    requestBytes: number;
    /** MAX_JSON_DEPTH: nesting of arrays/objects in the body (variables included). */
    jsonDepth: number;
    /** MAX_QUERY_LENGTH: characters of the query text, checked before it is read. */
    queryLength: number;
    /** MAX_QUERY_TOKENS: lexical tokens of the query text, checked before it is parsed. */
    queryTokens: number;
    /** MAX_QUERY_DEPTH: nested fields, counted through fragments. */
    queryDepth: number;
    /** MAX_QUERY_ALIASES: aliased fields, counted through fragments (each use of a fragment counts). */
    queryAliases: number;
    /** MAX_ROOT_FIELDS: top-level fields of the operation. */
    rootFields: number;
  };
  loginRateLimit: {
    windowSeconds: number;
    /** Login attempts per client IP per window, successful or not. */
    perIp: number;
    /** Failed login attempts per username per window. */
    perUsername: number;
  };
}

export function loadGatewayConfig(env: Env = process.env): GatewayConfig {
  const base = commonConfig(env, 4000);
  // Validated as a URL, kept as written: an issuer is compared as a string, and URL would add a "/".
  const gatewayIssuer = optional(env, 'GATEWAY_ISSUER') ?? `http://localhost:${base.port}`;
  httpUrl(env, 'GATEWAY_ISSUER', gatewayIssuer);
  const publicUrl = httpUrl(env, 'PUBLIC_URL', gatewayIssuer);
  const config: GatewayConfig = {
    ...base,
    gatewayIssuer,
    publicUrl,
    subgraphsFile: path.resolve(optional(env, 'SUBGRAPHS_FILE') ?? 'subgraphs.json'),
    keysDir: path.resolve(optional(env, 'GATEWAY_KEYS_DIR') ?? '.data/keys'),
    // Never shorter than the refetch cool-down: a subgraph that fetched just before the key appeared could not fetch again in time.
    keyActivationDelaySeconds: integer(env, 'KEY_ACTIVATION_DELAY', JWKS_MAX_AGE_SECONDS + JWKS_REFETCH_COOLDOWN_SECONDS, JWKS_REFETCH_COOLDOWN_SECONDS + 1, 86400),
    // Short: a refresh token renews it, and a revocation reaches subgraphs' identity tokens within IDENTITY_TOKEN_TTL anyway.
    accessTokenTtlSeconds: integer(env, 'ACCESS_TOKEN_TTL', 300, 30, 86400),
    refreshTokenTtlSeconds: integer(env, 'REFRESH_TOKEN_TTL', 8 * 3600, 60, 90 * 86400),
    sessionSecret: parseSessionSecret(env, base),
    sessionIdleTimeoutSeconds: integer(env, 'SESSION_IDLE_TIMEOUT', 1800, 1, 30 * 86400),
    sessionMaxAgeSeconds: integer(env, 'SESSION_MAX_AGE', 8 * 3600, 1, 30 * 86400),
    subgraphPollIntervalSeconds: integer(env, 'SUBGRAPH_POLL_INTERVAL', base.production ? 0 : 10, 0, 86400),
    trustProxy: parseTrustProxy(env),
    playground: boolean(env, 'PLAYGROUND', !base.production),
    authTrace: boolean(env, 'AUTH_TRACE', !base.production),
    oidc: parseOidc(env, publicUrl),
    hardening: parseHardening(env, base.production),
    requestBinding: parseRequestBinding(env),
  };
  if (config.oidc?.issuer === config.gatewayIssuer) {
    throw new ConfigError('OIDC_ISSUER', 'an issuer other than the gateway itself (GATEWAY_ISSUER)', config.oidc.issuer);
  }
  return config;
}

function parseSessionSecret(env: Env, base: CommonConfig): string | undefined {
  const secret = optional(env, 'SESSION_SECRET');
  if (base.production && base.authMode === 'session' && secret === undefined) {
    throw new ConfigError('SESSION_SECRET', 'set to a long random string when NODE_ENV=production', undefined);
  }
  if (secret !== undefined && secret.length < 32) {
    throw new ConfigError('SESSION_SECRET', 'at least 32 characters long', '<hidden>');
  }
  return secret;
}

function parseHardening(env: Env, production: boolean): HardeningConfig {
  const introspection = optional(env, 'INTROSPECTION');
  return {
    // The playground needs introspection for its docs: PLAYGROUND=true in production opts into it too.
    introspection: introspection === undefined ? !production || boolean(env, 'PLAYGROUND', !production) : boolean(env, 'INTROSPECTION', false),
    limits: {
      requestBytes: integer(env, 'MAX_REQUEST_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
      jsonDepth: integer(env, 'MAX_JSON_DEPTH', 64, 2, 10_000),
      queryLength: integer(env, 'MAX_QUERY_LENGTH', 100_000, 100, 10_000_000),
      queryTokens: integer(env, 'MAX_QUERY_TOKENS', 5000, 10, 1_000_000),
      queryDepth: integer(env, 'MAX_QUERY_DEPTH', 20, 1, 1000),
      queryAliases: integer(env, 'MAX_QUERY_ALIASES', 30, 0, 100_000),
      rootFields: integer(env, 'MAX_ROOT_FIELDS', 20, 1, 100_000),
    },
    loginRateLimit: {
      windowSeconds: integer(env, 'LOGIN_RATE_LIMIT_WINDOW', 900, 1, 86400),
      perIp: integer(env, 'LOGIN_RATE_LIMIT_PER_IP', 100, 1, 1_000_000),
      perUsername: integer(env, 'LOGIN_RATE_LIMIT_PER_USERNAME', 10, 1, 1_000_000),
    },
  };
}

/** The names Express's `trust proxy` (proxy-addr) knows, besides addresses and subnets. */
const TRUST_PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address, or a subnet as address/prefix or address/netmask: what proxy-addr compiles. */
function isTrustedAddress(value: string): boolean {
  const [address, range, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (range === undefined) return true;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(range) === 4;
}

function parseTrustProxy(env: Env): GatewayConfig['trustProxy'] {
  const raw = optional(env, 'TRUST_PROXY');
  if (raw === undefined) return undefined;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (/^\d{1,2}$/.test(raw)) return Number(raw);
  // Express also takes addresses, subnets and names; anything else would crash it at start, not here.
  const parts = raw.split(',').map((part) => part.trim());
  if (parts.every((part) => TRUST_PROXY_NAMES.has(part) || isTrustedAddress(part))) return raw;
  throw new ConfigError('TRUST_PROXY', 'true, false, a hop count, or addresses/subnets/loopback/linklocal/uniquelocal as Express\'s "trust proxy" takes', raw);
}
