/**
 * The settings the gateway and every subgraph share (shared/config/common.ts),
 * read from explicit env objects: their defaults, and a ConfigError naming
 * the variable for each bad value.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, SUBGRAPH_NAME_PATTERN, type Env } from '@fedgw/subgraph-kit';
import { commonConfig } from '../../shared/config/common.js';

/** The variable named by the ConfigError that reading `env` throws. */
function refusedVariable(env: Env): string | undefined {
  try {
    commonConfig(env, 4000);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).variable;
  }
  return undefined;
}

describe('commonConfig', () => {
  it('has defaults for everything', () => {
    expect(commonConfig({}, 4321)).toEqual({
      authMode: 'token',
      production: false,
      port: 4321,
      host: undefined,
      http: { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxHeaderBytes: 16_384, maxConnections: 1_000, maxConnectionsPerClient: 0 },
      store: { kind: 'sqlite', path: path.resolve('.data/sessions.db') },
      gatewayIssuer: 'http://localhost:4000',
      gatewayJwksUrl: 'http://localhost:4000/.well-known/jwks.json',
      identityTokenTtlSeconds: 60,
      logging: { level: 'info', format: undefined },
      metricsToken: undefined,
      drain: { delayMs: 0, timeoutMs: 30_000 },
    });
  });

  it('treats blank values as unset and trims the others', () => {
    const config = commonConfig({ PORT: '  ', AUTH_MODE: ' session ', LOG_LEVEL: '' }, 4000);
    expect(config).toMatchObject({ port: 4000, authMode: 'session', logging: { level: 'info' } });
  });

  it('reads NODE_ENV=production', () => {
    expect(commonConfig({ NODE_ENV: 'production' }, 4000).production).toBe(true);
    expect(commonConfig({ NODE_ENV: 'development' }, 4000).production).toBe(false);
  });

  it('takes the issuer from GATEWAY_ISSUER, or else from the origin of GATEWAY_JWKS_URL', () => {
    const jwks = { GATEWAY_JWKS_URL: 'https://gateway.example.com:8443/.well-known/jwks.json' };
    expect(commonConfig(jwks, 4001).gatewayIssuer).toBe('https://gateway.example.com:8443');
    expect(commonConfig({ ...jwks, GATEWAY_ISSUER: 'https://issuer.example.com' }, 4001).gatewayIssuer).toBe('https://issuer.example.com');
  });

  it('reads sqlite and redis session stores', () => {
    expect(commonConfig({ SESSION_STORE: 'sqlite:/var/lib/gw/sessions.db' }, 4000).store).toEqual({
      kind: 'sqlite',
      path: '/var/lib/gw/sessions.db',
    });
    expect(commonConfig({ SESSION_STORE: 'redis://cache:6379' }, 4000).store).toEqual({ kind: 'redis', url: 'redis://cache:6379' });
    expect(commonConfig({ SESSION_STORE: 'rediss://cache:6380/1' }, 4000).store).toEqual({ kind: 'redis', url: 'rediss://cache:6380/1' });
  });

  it('reads the shared store from SHARED_STORE, or from SESSION_STORE, its older name', () => {
    expect(commonConfig({ SHARED_STORE: 'redis://cache:6379' }, 4000).store).toEqual({ kind: 'redis', url: 'redis://cache:6379' });
    expect(commonConfig({ SHARED_STORE: 'redis://cache:6379', SESSION_STORE: 'redis://cache:6379' }, 4000).store).toEqual({ kind: 'redis', url: 'redis://cache:6379' });
  });

  it('reads the drain settings, with a delay by default only in production', () => {
    expect(commonConfig({ DRAIN_DELAY: '3', DRAIN_TIMEOUT: '10' }, 4000).drain).toEqual({ delayMs: 3000, timeoutMs: 10_000 });
    expect(commonConfig({ NODE_ENV: 'production' }, 4000).drain).toEqual({ delayMs: 5000, timeoutMs: 30_000 });
  });

  it('reads the logging settings and the metrics token', () => {
    const config = commonConfig({ LOG_LEVEL: 'debug', LOG_FORMAT: 'pretty', METRICS_TOKEN: 'x'.repeat(16) }, 4000);
    expect(config.logging).toEqual({ level: 'debug', format: 'pretty' });
    expect(config.metricsToken).toBe('x'.repeat(16));
  });

  it.each<[string, Env]>([
    ['AUTH_MODE', { AUTH_MODE: 'oauth' }],
    ['PORT', { PORT: 'http' }],
    ['PORT', { PORT: '65536' }],
    ['PORT', { PORT: '-1' }],
    ['PORT', { PORT: '80.5' }],
    ['SESSION_STORE', { SESSION_STORE: 'sqlite:' }],
    ['SESSION_STORE', { SESSION_STORE: 'redis://' }],
    ['SESSION_STORE', { SESSION_STORE: 'postgres://db:5432/sessions' }],
    ['SESSION_STORE', { SESSION_STORE: '/var/lib/sessions.db' }],
    ['SHARED_STORE', { SHARED_STORE: 'memcached://cache' }],
    ['SHARED_STORE', { SHARED_STORE: 'redis://a:6379', SESSION_STORE: 'redis://b:6379' }],
    ['DRAIN_DELAY', { DRAIN_DELAY: '301' }],
    ['DRAIN_TIMEOUT', { DRAIN_TIMEOUT: '0' }],
    ['GATEWAY_JWKS_URL', { GATEWAY_JWKS_URL: 'ftp://gateway/jwks.json' }],
    ['GATEWAY_JWKS_URL', { GATEWAY_JWKS_URL: 'not a url' }],
    ['IDENTITY_TOKEN_TTL', { IDENTITY_TOKEN_TTL: '9' }],
    ['IDENTITY_TOKEN_TTL', { IDENTITY_TOKEN_TTL: '3601' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }],
    ['LOG_FORMAT', { LOG_FORMAT: 'xml' }],
    ['METRICS_TOKEN', { METRICS_TOKEN: 'too-short' }],
    ['METRICS_TOKEN', { METRICS_TOKEN: 'long enough but has spaces' }],
    ['HOST', { HOST: 'example.com' }],
    ['HOST', { HOST: '127.0.0.1:4000' }],
    ['HOST', { HOST: '256.1.1.1' }],
    ['HTTP_HEADERS_TIMEOUT_MS', { HTTP_HEADERS_TIMEOUT_MS: '99' }],
    ['HTTP_HEADERS_TIMEOUT_MS', { HTTP_HEADERS_TIMEOUT_MS: '1.5' }],
    ['HTTP_REQUEST_TIMEOUT_MS', { HTTP_REQUEST_TIMEOUT_MS: 'soon' }],
    ['HTTP_REQUEST_TIMEOUT_MS', { HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' }],
    ['HTTP_REQUEST_TIMEOUT_MS', { HTTP_HEADERS_TIMEOUT_MS: '60000' }],
    ['HTTP_KEEP_ALIVE_TIMEOUT_MS', { HTTP_KEEP_ALIVE_TIMEOUT_MS: '0' }],
    ['HTTP_MAX_HEADER_BYTES', { HTTP_MAX_HEADER_BYTES: '512' }],
    ['HTTP_MAX_HEADER_BYTES', { HTTP_MAX_HEADER_BYTES: '2000000' }],
    ['HTTP_MAX_CONNECTIONS', { HTTP_MAX_CONNECTIONS: '0' }],
    ['HTTP_MAX_CONNECTIONS_PER_CLIENT', { HTTP_MAX_CONNECTIONS_PER_CLIENT: '-1' }],
  ])('refuses a bad %s', (variable, env) => {
    expect(refusedVariable(env)).toBe(variable);
  });

  it('accepts the bounds of the integer settings', () => {
    expect(commonConfig({ PORT: '0', IDENTITY_TOKEN_TTL: '10' }, 4000)).toMatchObject({ port: 0, identityTokenTtlSeconds: 10 });
    expect(commonConfig({ PORT: '65535', IDENTITY_TOKEN_TTL: '3600' }, 4000)).toMatchObject({ port: 65535, identityTokenTtlSeconds: 3600 });
  });

  it('takes an IP address or localhost as HOST', () => {
    for (const host of ['127.0.0.1', '0.0.0.0', '::1', '::', 'localhost']) expect(commonConfig({ HOST: host }, 4000).host).toBe(host);
  });

  it('reads the HTTP server limits', () => {
    const env = {
      HTTP_HEADERS_TIMEOUT_MS: '2000',
      HTTP_REQUEST_TIMEOUT_MS: '2000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
      HTTP_MAX_HEADER_BYTES: '8192',
      HTTP_MAX_CONNECTIONS: '50',
      HTTP_MAX_CONNECTIONS_PER_CLIENT: '10',
    };
    expect(commonConfig(env, 4000).http).toEqual({
      headersTimeoutMs: 2000,
      requestTimeoutMs: 2000,
      keepAliveTimeoutMs: 1000,
      maxHeaderBytes: 8192,
      maxConnections: 50,
      maxConnectionsPerClient: 10,
    });
  });

  it('does not echo a bad metrics token', () => {
    expect(() => commonConfig({ METRICS_TOKEN: 'secret with space' }, 4000)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('secret with space') }),
    );
  });
});

describe('SUBGRAPH_NAME_PATTERN', () => {
  it('takes lowercase names starting with a letter, up to 40 characters', () => {
    expect(['a', 'accounts', 'order-items2', 'a'.repeat(40)].every((name) => SUBGRAPH_NAME_PATTERN.test(name))).toBe(true);
    expect(['', 'Accounts', '2fa', '-x', 'a_b', 'a'.repeat(41)].some((name) => SUBGRAPH_NAME_PATTERN.test(name))).toBe(false);
  });
});
