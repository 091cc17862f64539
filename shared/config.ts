/**
 * The one place that reads the environment. Every process validates its
 * configuration here, once, at start; a bad value throws a ConfigError that
 * names the variable and what it accepts, and the entry point prints that one
 * line and exits. Nothing else reads `process.env` for settings.
 */
import path from 'node:path';
import { LOG_LEVELS, type LoggingConfig, type LogLevel } from './logger.js';

export type AuthMode = 'token' | 'session';

export type SessionStoreConfig =
  | { kind: 'sqlite'; path: string }
  | { kind: 'redis'; url: string };

export interface CommonConfig {
  authMode: AuthMode;
  production: boolean;
  port: number;
  sessionStore: SessionStoreConfig;
  /** `iss` of identity tokens; subgraphs accept only this issuer. */
  gatewayIssuer: string;
  gatewayJwksUrl: string;
  identityTokenTtlSeconds: number;
  /** LOG_LEVEL, LOG_FORMAT (shared/logger.ts). */
  logging: LoggingConfig;
  /** METRICS_TOKEN: when set, GET /metrics needs it as a bearer token. */
  metricsToken: string | undefined;
}

export interface GatewayConfig extends CommonConfig {
  subgraphsFile: string;
  keysDir: string;
  accessTokenTtlSeconds: number;
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
  /** An external OpenID Connect issuer whose access tokens the gateway also accepts (token mode). */
  oidc: OidcConfig | undefined;
  /** Request limits, introspection and login rate limits (gateway/request-limits.ts, gateway/login-limits.ts). */
  hardening: HardeningConfig;
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

export interface OidcConfig {
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** After a JWKS fetch, how long an unknown `kid` waits before it may trigger another. */
  jwksCooldownSeconds: number;
}

export interface SubgraphConfig extends CommonConfig {
  name: string;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    accepts: string,
    got: string | undefined,
  ) {
    super(`${variable} must be ${accepts}${got === undefined ? ' (it is not set)' : ` (got ${JSON.stringify(got)})`}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Subgraph names become token audiences, folder names and log prefixes. */
export const SUBGRAPH_NAME_PATTERN = /^[a-z][a-z0-9-]{0,39}$/;

function optional(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `a whole number from ${min} to ${max}`, raw);
  }
  return value;
}

function httpUrl(env: Env, name: string, fallback: string): string {
  const raw = optional(env, name) ?? fallback;
  try {
    const url = new URL(raw);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.toString();
  } catch {
    // fall through to the error below
  }
  throw new ConfigError(name, 'an http:// or https:// URL', raw);
}

function parseAuthMode(env: Env): AuthMode {
  const raw = optional(env, 'AUTH_MODE') ?? 'token';
  if (raw === 'token' || raw === 'session') return raw;
  throw new ConfigError('AUTH_MODE', '"token" or "session"', raw);
}

function parseSessionStore(env: Env): SessionStoreConfig {
  const raw = optional(env, 'SESSION_STORE') ?? 'sqlite:.data/sessions.db';
  if (raw.startsWith('sqlite:') && raw.length > 'sqlite:'.length) {
    return { kind: 'sqlite', path: path.resolve(raw.slice('sqlite:'.length)) };
  }
  if (/^rediss?:\/\/[^/]/.test(raw)) {
    try {
      new URL(raw);
      return { kind: 'redis', url: raw };
    } catch {
      // fall through
    }
  }
  throw new ConfigError('SESSION_STORE', '"sqlite:<path>" or "redis://host:port"', raw);
}

function common(env: Env, defaultPort: number): CommonConfig {
  const nodeEnv = optional(env, 'NODE_ENV');
  const port = integer(env, 'PORT', defaultPort, 0, 65535);
  const gatewayJwksUrl = httpUrl(env, 'GATEWAY_JWKS_URL', 'http://localhost:4000/.well-known/jwks.json');
  return {
    authMode: parseAuthMode(env),
    production: nodeEnv === 'production',
    port,
    sessionStore: parseSessionStore(env),
    // Subgraphs default to the origin they fetch the gateway's keys from;
    // the gateway overrides this with its own URL (see loadGatewayConfig).
    gatewayIssuer: optional(env, 'GATEWAY_ISSUER') ?? new URL(gatewayJwksUrl).origin,
    gatewayJwksUrl,
    identityTokenTtlSeconds: integer(env, 'IDENTITY_TOKEN_TTL', 60, 10, 3600),
    logging: parseLogging(env),
    metricsToken: parseMetricsToken(env),
  };
}

function parseLogging(env: Env): LoggingConfig {
  const level = optional(env, 'LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new ConfigError('LOG_LEVEL', `one of ${LOG_LEVELS.join(', ')}`, level);
  // Unset: pretty when stdout is a terminal, JSON otherwise (decided where the logger is made).
  const format = optional(env, 'LOG_FORMAT');
  if (format !== undefined && format !== 'json' && format !== 'pretty') throw new ConfigError('LOG_FORMAT', '"json" or "pretty"', format);
  return { level: level as LogLevel, format };
}

function parseMetricsToken(env: Env): string | undefined {
  const token = optional(env, 'METRICS_TOKEN');
  // Sent as a bearer token: no spaces; long enough not to be guessed.
  if (token !== undefined && !/^[\x21-\x7e]{16,512}$/.test(token)) {
    throw new ConfigError('METRICS_TOKEN', 'at least 16 printable characters without spaces', '<hidden>');
  }
  return token;
}

export function loadGatewayConfig(env: Env = process.env): GatewayConfig {
  const base = common(env, 4000);
  const sessionSecret = optional(env, 'SESSION_SECRET');
  if (base.production && base.authMode === 'session' && sessionSecret === undefined) {
    throw new ConfigError('SESSION_SECRET', 'set to a long random string when NODE_ENV=production', undefined);
  }
  if (sessionSecret !== undefined && sessionSecret.length < 32) {
    throw new ConfigError('SESSION_SECRET', 'at least 32 characters long', '<hidden>');
  }
  const config: GatewayConfig = {
    ...base,
    gatewayIssuer: optional(env, 'GATEWAY_ISSUER') ?? `http://localhost:${base.port}`,
    subgraphsFile: path.resolve(optional(env, 'SUBGRAPHS_FILE') ?? 'subgraphs.json'),
    keysDir: path.resolve(optional(env, 'GATEWAY_KEYS_DIR') ?? '.data/keys'),
    accessTokenTtlSeconds: integer(env, 'ACCESS_TOKEN_TTL', 900, 30, 86400),
    sessionSecret,
    sessionIdleTimeoutSeconds: integer(env, 'SESSION_IDLE_TIMEOUT', 1800, 1, 30 * 86400),
    sessionMaxAgeSeconds: integer(env, 'SESSION_MAX_AGE', 8 * 3600, 1, 30 * 86400),
    subgraphPollIntervalSeconds: integer(env, 'SUBGRAPH_POLL_INTERVAL', base.production ? 0 : 10, 0, 86400),
    trustProxy: parseTrustProxy(env),
    playground: parsePlayground(env, base.production),
    oidc: parseOidc(env),
    hardening: parseHardening(env, base.production),
  };
  if (config.oidc?.issuer === config.gatewayIssuer) {
    throw new ConfigError('OIDC_ISSUER', 'an issuer other than the gateway itself (GATEWAY_ISSUER)', config.oidc.issuer);
  }
  return config;
}

function parseHardening(env: Env, production: boolean): HardeningConfig {
  const introspection = optional(env, 'INTROSPECTION');
  if (introspection !== undefined && introspection !== 'true' && introspection !== 'false') {
    throw new ConfigError('INTROSPECTION', '"true" or "false"', introspection);
  }
  return {
    // The playground needs introspection for its docs: PLAYGROUND=true in production opts into it too.
    introspection: introspection === undefined ? !production || parsePlayground(env, production) : introspection === 'true',
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

function parsePlayground(env: Env, production: boolean): boolean {
  const raw = optional(env, 'PLAYGROUND');
  if (raw === undefined) return !production;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new ConfigError('PLAYGROUND', '"true" or "false"', raw);
}

function parseOidc(env: Env): OidcConfig | undefined {
  const names = ['OIDC_ISSUER', 'OIDC_AUDIENCE', 'OIDC_JWKS_URL'] as const;
  const set = names.filter((name) => optional(env, name) !== undefined);
  if (set.length === 0) return undefined;
  const missing = names.find((name) => !set.includes(name));
  if (missing) throw new ConfigError(missing, `set together with ${set.join(' and ')}`, undefined);
  return {
    issuer: optional(env, 'OIDC_ISSUER')!,
    audience: optional(env, 'OIDC_AUDIENCE')!,
    jwksUrl: httpUrl(env, 'OIDC_JWKS_URL', ''),
    jwksCooldownSeconds: integer(env, 'OIDC_JWKS_COOLDOWN', 30, 0, 3600),
  };
}

function parseTrustProxy(env: Env): GatewayConfig['trustProxy'] {
  const raw = optional(env, 'TRUST_PROXY');
  if (raw === undefined) return undefined;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (/^\d{1,2}$/.test(raw)) return Number(raw);
  // Express also takes addresses, subnets and names (loopback, linklocal, uniquelocal).
  if (/^[\w.:/, -]+$/.test(raw)) return raw;
  throw new ConfigError('TRUST_PROXY', 'true, false, a hop count, or addresses/subnets as Express\'s "trust proxy" takes', raw);
}

export function loadSubgraphConfig(name: string, defaultPort: number, env: Env = process.env): SubgraphConfig {
  if (!SUBGRAPH_NAME_PATTERN.test(name)) {
    throw new ConfigError('subgraph name', `lowercase letters, digits and "-" (${SUBGRAPH_NAME_PATTERN})`, name);
  }
  return { ...common(env, defaultPort), name };
}

/**
 * Entry points run through this: a ConfigError becomes one line on stderr
 * and exit code 1, as the DESIGN promises.
 */
export async function runMain(main: () => Promise<unknown>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`configuration error: ${error.message}`);
    } else {
      console.error('fatal:', error);
    }
    process.exit(1);
  }
}
