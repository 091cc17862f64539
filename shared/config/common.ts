/** The settings every process of one deployment shares: the gateway and each subgraph read them the same way. */
import { ConfigError, DEFAULT_GATEWAY_JWKS_URL, httpUrl, integer, oneOf, optional, parseStore, type Env, type StoreConfig } from '@fedgw/subgraph-kit';
import { AUTH_MODE_NAMES, type AuthModeName } from '../auth-modes/index.js';
import { LOG_LEVELS, type LoggingConfig, type LogLevel } from '../observability/logger.js';
import type { DrainOptions } from '../service/http.js';
import { parseHost, parseHttpLimits, type HttpServerLimits } from './http-server.js';

export interface CommonConfig {
  authMode: AuthModeName;
  production: boolean;
  port: number;
  /** HOST: the address it listens on; unset, every interface. */
  host: string | undefined;
  /** HTTP_*: the HTTP server's limits against slow or hostile clients (http-server.ts). */
  http: HttpServerLimits;
  /** What gateway replicas share: sessions, revocations, refresh tokens, login counters (SHARED_STORE, or SESSION_STORE: the kit's parseStore). */
  store: StoreConfig;
  /** `iss` of identity tokens; subgraphs accept only this issuer. */
  gatewayIssuer: string;
  gatewayJwksUrl: string;
  identityTokenTtlSeconds: number;
  /** LOG_LEVEL, LOG_FORMAT (shared/observability/logger.ts). */
  logging: LoggingConfig;
  /** METRICS_TOKEN: when set, GET /metrics needs it as a bearer token. */
  metricsToken: string | undefined;
  /** DRAIN_DELAY, DRAIN_TIMEOUT: how the process stops on SIGTERM (shared/service/http.ts). */
  drain: DrainOptions;
}

export function commonConfig(env: Env, defaultPort: number): CommonConfig {
  const production = optional(env, 'NODE_ENV') === 'production';
  const port = integer(env, 'PORT', defaultPort, 0, 65535);
  const gatewayJwksUrl = httpUrl(env, 'GATEWAY_JWKS_URL', DEFAULT_GATEWAY_JWKS_URL);
  return {
    authMode: oneOf(env, 'AUTH_MODE', AUTH_MODE_NAMES, 'token'),
    production,
    port,
    host: parseHost(env),
    http: parseHttpLimits(env),
    store: parseStore(env),
    // Subgraphs default to the origin they fetch the gateway's keys from;
    // the gateway overrides this with its own URL (config/gateway.ts).
    gatewayIssuer: optional(env, 'GATEWAY_ISSUER') ?? new URL(gatewayJwksUrl).origin,
    gatewayJwksUrl,
    identityTokenTtlSeconds: integer(env, 'IDENTITY_TOKEN_TTL', 60, 10, 3600),
    logging: parseLogging(env),
    metricsToken: parseMetricsToken(env),
    drain: {
      // Behind a load balancer the delay lets it see /readyz fail before connections close;
      // a developer's Ctrl-C should not wait for one.
      delayMs: integer(env, 'DRAIN_DELAY', production ? 5 : 0, 0, 300) * 1000,
      timeoutMs: integer(env, 'DRAIN_TIMEOUT', 30, 1, 3600) * 1000,
    },
  };
}

function parseLogging(env: Env): LoggingConfig {
  const level = optional(env, 'LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new ConfigError('LOG_LEVEL', `one of ${LOG_LEVELS.join(', ')}`, level);
  // Unset: pretty when stdout is a terminal, JSON otherwise (decided where the logger is made).
  const format = optional(env, 'LOG_FORMAT') === undefined ? undefined : oneOf(env, 'LOG_FORMAT', ['json', 'pretty'] as const, 'json');
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
