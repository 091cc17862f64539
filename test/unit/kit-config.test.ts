/**
 * The subgraph kit's settings (@fedgw/subgraph-kit, config.ts): from the
 * environment or passed in code, validated once; a bad value is a
 * ConfigError naming the variable or the option. And the kit's list of modes
 * is the gateway's.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv, defineConfig, isValidatedConfig, MODE_NAMES, SUBGRAPH_MODES, type Env, type SubgraphKitSettings } from '@fedgw/subgraph-kit';
import { AUTH_MODE_NAMES, AUTH_MODES } from '../../shared/auth-modes/index.js';

function refused(make: () => unknown): ConfigError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('configFromEnv', () => {
  it('has a default for everything but the name', () => {
    const config = configFromEnv({ name: 'inventory', env: {} });
    expect({ ...config }).toEqual({
      mode: 'token',
      name: 'inventory',
      gatewayIssuer: 'http://localhost:4000',
      gatewayJwksUrl: 'http://localhost:4000/.well-known/jwks.json',
      store: { kind: 'sqlite', path: path.resolve('.data/sessions.db') },
      production: false,
      downstream: [],
      keyFile: path.resolve('.data/subgraph-keys/inventory.pem'),
      tokenEndpoint: 'http://localhost:4000/auth/token',
      requestBinding: false,
    });
    expect(isValidatedConfig(config)).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every variable it knows', () => {
    const config = configFromEnv({
      env: {
        SUBGRAPH_NAME: 'inventory',
        AUTH_MODE: 'session',
        GATEWAY_JWKS_URL: 'https://gw.example.com/.well-known/jwks.json',
        SHARED_STORE: 'redis://127.0.0.1:6379',
        NODE_ENV: 'production',
        SUBGRAPH_KEY_FILE: '/keys/inventory.pem',
        GATEWAY_TOKEN_URL: 'https://gw.internal/auth/token',
        REQUEST_BINDING: 'on',
      },
      downstream: ['payments', 'payments', 'ledger'],
    });
    expect(config).toMatchObject({
      name: 'inventory',
      mode: 'session',
      gatewayIssuer: 'https://gw.example.com',
      store: { kind: 'redis', url: 'redis://127.0.0.1:6379' },
      production: true,
      downstream: ['payments', 'ledger'],
      keyFile: '/keys/inventory.pem',
      tokenEndpoint: 'https://gw.internal/auth/token',
      requestBinding: true,
    });
    expect(configFromEnv({ name: 'inventory', env: { GATEWAY_ISSUER: 'https://issuer.example.com' } }).gatewayIssuer).toBe('https://issuer.example.com');
  });

  it('finds each process its own key in SUBGRAPH_KEYS_DIR, by name; SUBGRAPH_KEY_FILE wins', () => {
    const env = { SUBGRAPH_KEYS_DIR: '/keys' };
    expect(configFromEnv({ name: 'orders', env }).keyFile).toBe(path.resolve('/keys/orders.pem'));
    expect(configFromEnv({ env: { ...env, SUBGRAPH_NAME: 'payments' } }).keyFile).toBe(path.resolve('/keys/payments.pem'));
    expect(configFromEnv({ name: 'orders', env: { ...env, SUBGRAPH_KEY_FILE: '/elsewhere/orders.pem' } }).keyFile).toBe(path.resolve('/elsewhere/orders.pem'));
  });

  it.each<[string, Env, string | undefined]>([
    ['AUTH_MODE', { AUTH_MODE: 'basic' }, 'inventory'],
    ['GATEWAY_JWKS_URL', { GATEWAY_JWKS_URL: 'gateway:4000' }, 'inventory'],
    ['SESSION_STORE', { SESSION_STORE: 'mysql://db' }, 'inventory'],
    ['SHARED_STORE', { SHARED_STORE: 'sqlite:' }, 'inventory'],
    ['SHARED_STORE', { SHARED_STORE: 'sqlite:a.db', SESSION_STORE: 'sqlite:b.db' }, 'inventory'],
    ['SUBGRAPH_NAME', {}, undefined],
    ['SUBGRAPH_NAME', { SUBGRAPH_NAME: 'Inventory' }, undefined],
    ['subgraph name', {}, 'my_subgraph'],
    ['GATEWAY_TOKEN_URL', { GATEWAY_TOKEN_URL: 'gateway/auth/token' }, 'inventory'],
    ['REQUEST_BINDING', { REQUEST_BINDING: 'true' }, 'inventory'],
  ])('refuses a bad %s, naming it', (variable, env, name) => {
    const error = refused(() => configFromEnv({ name, env }));
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(new RegExp(`^${variable} must be `));
  });

  it('refuses downstream services that are not service names', () => {
    expect(refused(() => configFromEnv({ name: 'inventory', env: {}, downstream: ['Payments'] })).variable).toBe('downstream');
  });
});

describe('defineConfig', () => {
  it('takes settings in code, with the same defaults', () => {
    expect(defineConfig({ name: 'inventory', mode: 'session', store: 'sqlite:/tmp/s.db' })).toMatchObject({
      mode: 'session',
      gatewayIssuer: 'http://localhost:4000',
      store: { kind: 'sqlite', path: '/tmp/s.db' },
      production: false,
    });
    expect(defineConfig({ name: 'inventory', store: { kind: 'redis', url: 'redis://r:6379' } }).store).toEqual({ kind: 'redis', url: 'redis://r:6379' });
  });

  it('returns a validated config as it is', () => {
    const config = defineConfig({ name: 'inventory' });
    expect(defineConfig(config)).toBe(config);
  });

  it.each<[string, SubgraphKitSettings]>([
    ['mode', { name: 'inventory', mode: 'tokens' }],
    ['name', { name: 'Inventory' }],
    ['name', {} as SubgraphKitSettings],
    ['gatewayJwksUrl', { name: 'inventory', gatewayJwksUrl: 'ftp://gw/jwks.json' }],
    ['gatewayIssuer', { name: 'inventory', gatewayIssuer: 42 as unknown as string }],
    ['store', { name: 'inventory', store: 'postgres://db' }],
    ['store', { name: 'inventory', store: { kind: 'memcached' } as never }],
    ['production', { name: 'inventory', production: 'yes' as unknown as boolean }],
    ['requestBinding', { name: 'inventory', requestBinding: 'on' as unknown as boolean }],
  ])('refuses a bad %s, naming the option', (option, settings) => {
    expect(refused(() => defineConfig(settings)).variable).toBe(option);
  });
});

describe('the modes', () => {
  it('are the same in the kit and in the gateway, and each gateway mode names the kit\'s subgraph end', () => {
    expect([...MODE_NAMES].sort()).toEqual([...AUTH_MODE_NAMES].sort());
    for (const name of AUTH_MODE_NAMES) expect(AUTH_MODES[name].subgraph).toBe(SUBGRAPH_MODES[name]);
  });
});
