/**
 * A subgraph's settings (shared/config/subgraph.ts): the shared ones plus
 * its name, which must be a valid token audience.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, type Env } from '@fedgw/subgraph-kit';
import { loadSubgraphConfig } from '../../shared/config/subgraph.js';

/** The variable named by the ConfigError that loading throws. */
function refusedVariable(name: string, env: Env): string | undefined {
  try {
    loadSubgraphConfig(name, 4001, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).variable;
  }
  return undefined;
}

describe('loadSubgraphConfig', () => {
  it('has its name, its default port and the default gateway issuer', () => {
    expect(loadSubgraphConfig('accounts', 4001, {})).toMatchObject({
      name: 'accounts',
      port: 4001,
      authMode: 'token',
      gatewayIssuer: 'http://localhost:4000',
      gatewayJwksUrl: 'http://localhost:4000/.well-known/jwks.json',
    });
  });

  it('takes PORT over its default port, and the issuer from where it fetches the keys', () => {
    const config = loadSubgraphConfig('accounts', 4001, { PORT: '7001', GATEWAY_JWKS_URL: 'https://gw.example.com/.well-known/jwks.json' });
    expect(config).toMatchObject({ port: 7001, gatewayIssuer: 'https://gw.example.com' });
  });

  it('takes GATEWAY_ISSUER when set', () => {
    expect(loadSubgraphConfig('accounts', 4001, { GATEWAY_ISSUER: 'https://issuer.example.com' }).gatewayIssuer).toBe('https://issuer.example.com');
  });

  it('refuses a name that cannot be a token audience', () => {
    for (const name of ['Accounts', 'my_subgraph', '1accounts', 'a'.repeat(41), '']) {
      expect(refusedVariable(name, {}), name).toBe('subgraph name');
    }
  });

  it.each<[string, Env]>([
    ['AUTH_MODE', { AUTH_MODE: 'basic' }],
    ['PORT', { PORT: 'eighty' }],
    ['SESSION_STORE', { SESSION_STORE: 'sqlite:' }],
    ['GATEWAY_JWKS_URL', { GATEWAY_JWKS_URL: 'gateway:4000' }],
    ['IDENTITY_TOKEN_TTL', { IDENTITY_TOKEN_TTL: '0' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'WARN' }],
  ])('refuses a bad %s', (variable, env) => {
    expect(refusedVariable('accounts', env)).toBe(variable);
  });
});
