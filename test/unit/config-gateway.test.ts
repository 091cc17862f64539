/**
 * The gateway's settings (shared/config/gateway.ts), read from explicit env
 * objects: the defaults, the production defaults, and a ConfigError naming
 * the variable for each bad value.
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, type Env } from '@fedgw/subgraph-kit';
import { loadGatewayConfig } from '../../shared/config/gateway.js';

const PRODUCTION: Env = { NODE_ENV: 'production' };
const SECRET = 's'.repeat(32);
const OIDC: Env = {
  OIDC_ISSUER: 'https://login.example.com',
  OIDC_AUDIENCE: 'gateway',
  OIDC_JWKS_URL: 'https://login.example.com/jwks.json',
};

/** The variable named by the ConfigError that loading `env` throws. */
function refusedVariable(env: Env): string | undefined {
  try {
    loadGatewayConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).variable;
  }
  return undefined;
}

describe('loadGatewayConfig', () => {
  it('has development defaults', () => {
    const config = loadGatewayConfig({});
    expect(config).toMatchObject({
      authMode: 'token',
      production: false,
      port: 4000,
      gatewayIssuer: 'http://localhost:4000',
      subgraphsFile: path.resolve('subgraphs.json'),
      keysDir: path.resolve('.data/keys'),
      accessTokenTtlSeconds: 300,
      refreshTokenTtlSeconds: 8 * 3600,
      // The JWKS's max-age (300 s) plus the subgraphs' refetch cool-down (5 s).
      keyActivationDelaySeconds: 305,
      sessionSecret: undefined,
      subgraphPollIntervalSeconds: 10,
      trustProxy: undefined,
      playground: true,
      authTrace: true,
      oidc: undefined,
      publicUrl: 'http://localhost:4000/',
      requestBinding: false,
      hardening: {
        introspection: true,
        limits: { requestBytes: 1024 * 1024, jsonDepth: 64, queryLength: 100_000, queryTokens: 5000, queryDepth: 20, queryAliases: 30, rootFields: 20 },
        loginRateLimit: { windowSeconds: 900, perIp: 100, perUsername: 10 },
      },
    });
  });

  it('is its own issuer, at its own port', () => {
    expect(loadGatewayConfig({ PORT: '5005' }).gatewayIssuer).toBe('http://localhost:5005');
    expect(loadGatewayConfig({ PORT: '5005', GATEWAY_ISSUER: 'https://api.example.com' }).gatewayIssuer).toBe('https://api.example.com');
  });

  it('refuses a GATEWAY_ISSUER that is not an http(s) URL, by its own name, even with PUBLIC_URL set', () => {
    for (const issuer of ['api.example.com', 'ftp://api.example.com', 'not a url']) {
      expect(refusedVariable({ GATEWAY_ISSUER: issuer }), issuer).toBe('GATEWAY_ISSUER');
      expect(refusedVariable({ GATEWAY_ISSUER: issuer, PUBLIC_URL: 'https://api.example.com' }), issuer).toBe('GATEWAY_ISSUER');
    }
  });

  it('turns polling, the playground and introspection off in production', () => {
    const config = loadGatewayConfig(PRODUCTION);
    expect(config.subgraphPollIntervalSeconds).toBe(0);
    expect(config.playground).toBe(false);
    expect(config.authTrace).toBe(false);
    expect(config.hardening.introspection).toBe(false);
  });

  it('sends the auth trace in production only with AUTH_TRACE=true, and refuses another value', () => {
    expect(loadGatewayConfig({ ...PRODUCTION, AUTH_TRACE: 'true' }).authTrace).toBe(true);
    expect(loadGatewayConfig({ AUTH_TRACE: 'false' }).authTrace).toBe(false);
    expect(refusedVariable({ ...PRODUCTION, AUTH_TRACE: 'yes' })).toBe('AUTH_TRACE');
  });

  it('lets production opt back in', () => {
    expect(loadGatewayConfig({ ...PRODUCTION, SUBGRAPH_POLL_INTERVAL: '30' }).subgraphPollIntervalSeconds).toBe(30);
    expect(loadGatewayConfig({ ...PRODUCTION, INTROSPECTION: 'true' })).toMatchObject({ playground: false, hardening: { introspection: true } });
  });

  it('turns introspection on with PLAYGROUND=true in production, unless INTROSPECTION says otherwise', () => {
    expect(loadGatewayConfig({ ...PRODUCTION, PLAYGROUND: 'true' })).toMatchObject({ playground: true, hardening: { introspection: true } });
    expect(loadGatewayConfig({ ...PRODUCTION, PLAYGROUND: 'true', INTROSPECTION: 'false' }).hardening.introspection).toBe(false);
  });

  it('lets development turn the playground and introspection off', () => {
    expect(loadGatewayConfig({ PLAYGROUND: 'false', INTROSPECTION: 'false' })).toMatchObject({ playground: false, hardening: { introspection: false } });
  });

  it('needs SESSION_SECRET only in production session mode', () => {
    expect(refusedVariable({ ...PRODUCTION, AUTH_MODE: 'session' })).toBe('SESSION_SECRET');
    expect(loadGatewayConfig({ ...PRODUCTION, AUTH_MODE: 'session', SESSION_SECRET: SECRET }).sessionSecret).toBe(SECRET);
    expect(loadGatewayConfig({ ...PRODUCTION, AUTH_MODE: 'token' }).sessionSecret).toBeUndefined();
    expect(loadGatewayConfig({ AUTH_MODE: 'session' }).sessionSecret).toBeUndefined();
  });

  it('refuses a SESSION_SECRET shorter than 32 characters, anywhere', () => {
    expect(refusedVariable({ SESSION_SECRET: 's'.repeat(31) })).toBe('SESSION_SECRET');
    expect(refusedVariable({ ...PRODUCTION, AUTH_MODE: 'session', SESSION_SECRET: 'short' })).toBe('SESSION_SECRET');
  });

  it('reads a complete OIDC issuer', () => {
    expect(loadGatewayConfig(OIDC).oidc).toEqual({
      issuer: 'https://login.example.com',
      accessTokens: { audience: 'gateway', jwksUrl: 'https://login.example.com/jwks.json', jwksCooldownSeconds: 30 },
      signIn: undefined,
    });
  });

  it('reads sign-in through the provider, with the redirect URI on PUBLIC_URL', () => {
    const config = loadGatewayConfig({ OIDC_ISSUER: 'https://login.example.com', OIDC_CLIENT_ID: 'gw', OIDC_CLIENT_SECRET: 'secret', PUBLIC_URL: 'https://api.example.com/' });
    expect(config.oidc?.signIn).toEqual({
      clientId: 'gw',
      clientAuth: { method: 'client_secret_basic', secret: 'secret' },
      redirectUri: 'https://api.example.com/auth/oidc/callback',
      postLogoutRedirectUri: 'https://api.example.com/graphql',
      scopes: 'openid profile',
      scopesClaim: 'scope',
      providerName: 'login.example.com',
      allowHttp: false,
    });
    expect(loadGatewayConfig({ OIDC_ISSUER: 'http://localhost:4080', OIDC_CLIENT_ID: 'gw' }).oidc?.signIn).toMatchObject({ clientAuth: { method: 'none' }, allowHttp: true, redirectUri: 'http://localhost:4000/auth/oidc/callback' });
  });

  it('refuses sign-in settings that do not hold together', () => {
    expect(refusedVariable({ OIDC_CLIENT_ID: 'gw' })).toBe('OIDC_ISSUER');
    expect(refusedVariable({ OIDC_ISSUER: 'https://login.example.com', OIDC_CLIENT_SECRET: 's' })).toBe('OIDC_CLIENT_ID');
    expect(refusedVariable({ OIDC_ISSUER: 'https://login.example.com', OIDC_CLIENT_ID: 'gw', OIDC_CLIENT_SECRET: 's', OIDC_CLIENT_KEY_FILE: '/k.pem' })).toBe('OIDC_CLIENT_KEY_FILE');
    expect(refusedVariable({ OIDC_ISSUER: 'https://login.example.com', OIDC_CLIENT_ID: 'gw', OIDC_CLIENT_KEY_FILE: '/no/such/key.pem' })).toBe('OIDC_CLIENT_KEY_FILE');
    expect(refusedVariable({ OIDC_ISSUER: 'http://login.example.com', OIDC_CLIENT_ID: 'gw' })).toBe('OIDC_ISSUER');
    expect(refusedVariable({ OIDC_ISSUER: 'https://login.example.com', OIDC_CLIENT_ID: 'gw', OIDC_SCOPES: 'profile email' })).toBe('OIDC_SCOPES');
    expect(refusedVariable({ OIDC_ISSUER: 'https://login.example.com', OIDC_CLIENT_ID: 'gw', OIDC_SCOPES_CLAIM: 'roles; drop' })).toBe('OIDC_SCOPES_CLAIM');
    expect(refusedVariable({ PUBLIC_URL: 'ftp://gateway' })).toBe('PUBLIC_URL');
  });

  it('reads a private_key_jwt client key once, at start, and refuses one it cannot sign with', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fag-key-'));
    const write = (name: string, text: string) => (fs.writeFileSync(path.join(dir, name), text), path.join(dir, name));
    const keyFile = (name: string, type: 'ec' | 'rsa' | 'ed25519', options: object = {}) =>
      write(name, (generateKeyPairSync as any)(type, options).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    const env = (file: string): Env => ({ OIDC_ISSUER: 'https://login.example.com', OIDC_CLIENT_ID: 'gw', OIDC_CLIENT_KEY_FILE: file });
    try {
      expect(loadGatewayConfig(env(keyFile('p256.pem', 'ec', { namedCurve: 'P-256' }))).oidc?.signIn?.clientAuth).toMatchObject({ method: 'private_key_jwt', alg: 'ES256' });
      expect(loadGatewayConfig(env(keyFile('rsa.pem', 'rsa', { modulusLength: 2048 }))).oidc?.signIn?.clientAuth).toMatchObject({ alg: 'RS256' });
      expect(loadGatewayConfig(env(keyFile('ed.pem', 'ed25519'))).oidc?.signIn?.clientAuth).toMatchObject({ alg: 'EdDSA' });
      expect(refusedVariable(env(keyFile('p384.pem', 'ec', { namedCurve: 'P-384' })))).toBe('OIDC_CLIENT_KEY_FILE');
      const publicPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
      expect(refusedVariable(env(write('public.pem', publicPem)))).toBe('OIDC_CLIENT_KEY_FILE');
      expect(refusedVariable(env(write('garbage.pem', '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n')))).toBe('OIDC_CLIENT_KEY_FILE');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an incomplete OIDC issuer, naming a missing variable', () => {
    expect(refusedVariable({ OIDC_ISSUER: OIDC.OIDC_ISSUER })).toBe('OIDC_CLIENT_ID');
    expect(refusedVariable({ OIDC_ISSUER: OIDC.OIDC_ISSUER, OIDC_AUDIENCE: 'gateway' })).toBe('OIDC_JWKS_URL');
    expect(refusedVariable({ OIDC_JWKS_URL: OIDC.OIDC_JWKS_URL })).toBe('OIDC_ISSUER');
  });

  it('refuses an OIDC issuer that is the gateway itself', () => {
    expect(refusedVariable({ ...OIDC, OIDC_ISSUER: 'http://localhost:4000' })).toBe('OIDC_ISSUER');
    expect(refusedVariable({ ...OIDC, GATEWAY_ISSUER: OIDC.OIDC_ISSUER })).toBe('OIDC_ISSUER');
  });

  it.each<[Env, unknown]>([
    [{ TRUST_PROXY: 'true' }, true],
    [{ TRUST_PROXY: 'false' }, false],
    [{ TRUST_PROXY: '2' }, 2],
    [{ TRUST_PROXY: 'loopback, 10.0.0.0/8' }, 'loopback, 10.0.0.0/8'],
    [{ TRUST_PROXY: 'fd00::/8' }, 'fd00::/8'],
    [{ TRUST_PROXY: '192.168.0.0/255.255.0.0,linklocal' }, '192.168.0.0/255.255.0.0,linklocal'],
  ])('reads TRUST_PROXY %o', (env, trustProxy) => {
    expect(loadGatewayConfig(env).trustProxy).toEqual(trustProxy);
  });

  it('reads REQUEST_BINDING, on or off, in either mode', () => {
    expect(loadGatewayConfig({ REQUEST_BINDING: 'on' }).requestBinding).toBe(true);
    expect(loadGatewayConfig({ REQUEST_BINDING: 'on', AUTH_MODE: 'session' }).requestBinding).toBe(true);
    expect(loadGatewayConfig({ REQUEST_BINDING: 'off' }).requestBinding).toBe(false);
  });

  it.each<[string, Env]>([
    ['REQUEST_BINDING', { REQUEST_BINDING: 'yes' }],
    ['AUTH_MODE', { AUTH_MODE: 'cookies' }],
    ['PORT', { PORT: '99999' }],
    ['SESSION_STORE', { SESSION_STORE: 'memory' }],
    ['GATEWAY_JWKS_URL', { GATEWAY_JWKS_URL: 'file:///jwks.json' }],
    ['IDENTITY_TOKEN_TTL', { IDENTITY_TOKEN_TTL: 'forever' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['LOG_FORMAT', { LOG_FORMAT: 'yaml' }],
    ['METRICS_TOKEN', { METRICS_TOKEN: 'short' }],
    ['OIDC_JWKS_URL', { ...OIDC, OIDC_JWKS_URL: 'ldap://login.example.com' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'a;b' }],
    ['TRUST_PROXY', { TRUST_PROXY: '*' }],
    // Words Express's trust proxy does not know would crash it at start instead of naming the variable.
    ['TRUST_PROXY', { TRUST_PROXY: 'yes' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'True' }],
    ['TRUST_PROXY', { TRUST_PROXY: '10.0.0.0/33' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'loopback, nowhere' }],
    ['INTROSPECTION', { INTROSPECTION: 'yes' }],
    ['PLAYGROUND', { PLAYGROUND: 'on' }],
    ['PLAYGROUND', { ...PRODUCTION, PLAYGROUND: '1' }],
    ['ACCESS_TOKEN_TTL', { ACCESS_TOKEN_TTL: '29' }],
    ['SUBGRAPH_POLL_INTERVAL', { SUBGRAPH_POLL_INTERVAL: '-5' }],
    ['MAX_QUERY_DEPTH', { MAX_QUERY_DEPTH: '0' }],
    ['KEY_ACTIVATION_DELAY', { KEY_ACTIVATION_DELAY: '5' }],
  ])('refuses a bad %s', (variable, env) => {
    expect(refusedVariable(env)).toBe(variable);
  });
});
