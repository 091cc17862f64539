/**
 * A subgraph's settings, validated once, before the kit is built: from the
 * environment (configFromEnv: the variables every process of a deployment
 * reads) or passed in code (defineConfig). A bad value is a ConfigError
 * naming the setting — the variable, or the option — what it accepts and
 * what it got.
 *
 * | setting | variable | option | default |
 * | --- | --- | --- | --- |
 * | auth mode | `AUTH_MODE` | `mode` | `token` |
 * | this subgraph's name: the audience of its identity tokens | `SUBGRAPH_NAME` | `name` | — (required) |
 * | where the gateway's public keys are | `GATEWAY_JWKS_URL` | `gatewayJwksUrl` | `http://localhost:4000/.well-known/jwks.json` |
 * | the gateway's issuer id (`iss`) | `GATEWAY_ISSUER` | `gatewayIssuer` | the origin of the JWKS URL |
 * | the shared session store (session mode) | `SHARED_STORE` or `SESSION_STORE` | `store` | `sqlite:.data/sessions.db` |
 * | production (no `x-auth-cost`) | `NODE_ENV=production` | `production` | false |
 * | the services it calls on the caller's behalf | — | `downstream` | none |
 * | its own key, for token exchange (token mode, with `downstream`) | `SUBGRAPH_KEY_FILE`, or `SUBGRAPH_KEYS_DIR` (the folder of `<name>.pem`) | `keyFile` | `.data/subgraph-keys/<name>.pem`, made when missing |
 * | the gateway's token endpoint | `GATEWAY_TOKEN_URL` | `tokenEndpoint` | the origin of the JWKS URL + `/auth/token` |
 * | request binding: every request needs the gateway's request proof (request-proof.ts) | `REQUEST_BINDING` (`on`/`off`) | `requestBinding` | off |
 */
import path from 'node:path';
import { ConfigError, httpUrl, oneOf, optional, type Env } from './env.js';
import { parseRequestBinding } from './request-proof.js';
import { MODE_NAMES, type ModeName } from './modes/index.js';

/** Subgraph names become token audiences (and, in the gateway's repository, folder names and log prefixes). */
export const SUBGRAPH_NAME_PATTERN = /^[a-z][a-z0-9-]{0,39}$/;

export const DEFAULT_GATEWAY_JWKS_URL = 'http://localhost:4000/.well-known/jwks.json';
export const DEFAULT_STORE = 'sqlite:.data/sessions.db';

/** The shared store: one SQLite file (one machine) or one Redis (many). */
export type StoreConfig =
  | { kind: 'sqlite'; path: string }
  | { kind: 'redis'; url: string };

/** Settings as validated: what createSubgraphKit takes. */
export interface SubgraphKitConfig {
  readonly mode: ModeName;
  /** This subgraph's name, as the gateway lists it: the `aud` its identity tokens carry. */
  readonly name: string;
  /** `iss` of the gateway's identity tokens: no other issuer is accepted. */
  readonly gatewayIssuer: string;
  readonly gatewayJwksUrl: string;
  /** Where session mode reads sessions (read only). */
  readonly store: StoreConfig;
  /** Production: no `x-auth-cost` header. */
  readonly production: boolean;
  /** The services this subgraph calls on the caller's behalf (their names: the audiences of the tokens it exchanges). */
  readonly downstream: readonly string[];
  /** Token mode with `downstream`: this subgraph's own key, for its client assertions. */
  readonly keyFile: string;
  /** Where token exchange happens: the gateway's token endpoint. */
  readonly tokenEndpoint: string;
  /** Every request must carry the gateway's request proof, checked against the gateway's JWKS in both modes. */
  readonly requestBinding: boolean;
}

/** Settings passed in code; what is left out takes its default. */
export interface SubgraphKitSettings {
  /** `token` (default) or `session`. */
  mode?: string;
  name: string;
  gatewayJwksUrl?: string;
  gatewayIssuer?: string;
  /** `sqlite:<path>` or `redis://host:port`, or the parsed form. */
  store?: string | StoreConfig;
  production?: boolean;
  downstream?: readonly string[];
  keyFile?: string;
  tokenEndpoint?: string;
  requestBinding?: boolean;
}

const VALIDATED = Symbol('subgraph-kit config');

/** Whether `value` came out of configFromEnv or defineConfig. */
export function isValidatedConfig(value: unknown): value is SubgraphKitConfig {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[VALIDATED] === true;
}

/** The setting names a message uses: variables, or options. */
interface Labels {
  mode: string;
  name: string;
  gatewayJwksUrl: string;
  store: string;
  keyFile: string;
  tokenEndpoint: string;
}

interface RawSettings {
  mode: string | undefined;
  name: string | undefined;
  gatewayJwksUrl: string | undefined;
  gatewayIssuer: string | undefined;
  store: StoreConfig | string | undefined;
  production: boolean;
  downstream: readonly string[] | undefined;
  keyFile: string | undefined;
  tokenEndpoint: string | undefined;
  requestBinding: boolean;
}

function validate(raw: RawSettings, labels: Labels): SubgraphKitConfig {
  const mode = oneOf({ [labels.mode]: raw.mode }, labels.mode, MODE_NAMES, 'token');
  if (raw.name === undefined || !SUBGRAPH_NAME_PATTERN.test(raw.name)) {
    throw new ConfigError(labels.name, `this subgraph's name as the gateway lists it: lowercase letters, digits and "-" (${SUBGRAPH_NAME_PATTERN})`, raw.name);
  }
  const gatewayJwksUrl = httpUrl({ [labels.gatewayJwksUrl]: raw.gatewayJwksUrl }, labels.gatewayJwksUrl, DEFAULT_GATEWAY_JWKS_URL);
  // Unset: the gateway's default, the origin its keys are served from.
  const issuer = raw.gatewayIssuer ?? new URL(gatewayJwksUrl).origin;
  const store = typeof raw.store === 'object' ? checkedStore(raw.store, labels.store) : parseStoreValue(raw.store ?? DEFAULT_STORE, labels.store);
  const downstream = checkedNames(raw.downstream ?? [], 'downstream');
  const keyFile = path.resolve(raw.keyFile ?? path.join('.data', 'subgraph-keys', `${raw.name}.pem`));
  const tokenEndpoint = httpUrl({ [labels.tokenEndpoint]: raw.tokenEndpoint }, labels.tokenEndpoint, `${new URL(gatewayJwksUrl).origin}/auth/token`);
  const config = { mode, name: raw.name, gatewayIssuer: issuer, gatewayJwksUrl, store, production: raw.production, downstream, keyFile, tokenEndpoint, requestBinding: raw.requestBinding };
  Object.defineProperty(config, VALIDATED, { value: true });
  return Object.freeze(config);
}

/** Service names, as the gateway lists them. */
function checkedNames(names: readonly unknown[], label: string): readonly string[] {
  if (!Array.isArray(names) || names.some((name) => typeof name !== 'string' || !SUBGRAPH_NAME_PATTERN.test(name))) {
    throw new ConfigError(label, `a list of service names (${SUBGRAPH_NAME_PATTERN})`, JSON.stringify(names));
  }
  return Object.freeze([...new Set(names as string[])]);
}

/** `sqlite:<path>` (relative to the working folder) or `redis://host:port` (`rediss://` with TLS). */
export function parseStoreValue(raw: string, variable: string): StoreConfig {
  const value = raw.trim();
  if (value.startsWith('sqlite:') && value.length > 'sqlite:'.length) {
    return { kind: 'sqlite', path: path.resolve(value.slice('sqlite:'.length)) };
  }
  if (/^rediss?:\/\/[^/]/.test(value) && URL.canParse(value)) return { kind: 'redis', url: value };
  throw new ConfigError(variable, '"sqlite:<path>" or "redis://host:port"', raw);
}

function checkedStore(store: StoreConfig, label: string): StoreConfig {
  if (store.kind === 'sqlite' && typeof store.path === 'string' && store.path !== '') return { kind: 'sqlite', path: path.resolve(store.path) };
  if (store.kind === 'redis' && typeof store.url === 'string') return parseStoreValue(store.url, label);
  throw new ConfigError(label, '{ kind: "sqlite", path } or { kind: "redis", url }', JSON.stringify(store));
}

/**
 * SHARED_STORE names the store; SESSION_STORE, its name from before there
 * was more than sessions in it, keeps working. Set both, they must agree.
 */
export function parseStore(env: Env): StoreConfig {
  const shared = optional(env, 'SHARED_STORE');
  const session = optional(env, 'SESSION_STORE');
  if (shared !== undefined && session !== undefined && shared !== session) {
    throw new ConfigError('SHARED_STORE', 'the same as SESSION_STORE when both are set (SESSION_STORE is its older name)', shared);
  }
  const variable = shared !== undefined ? 'SHARED_STORE' : 'SESSION_STORE';
  return parseStoreValue(shared ?? session ?? DEFAULT_STORE, variable);
}

/**
 * The settings from the environment. `name` given here (the subgraph knows
 * its own name) wins over SUBGRAPH_NAME.
 */
export function configFromEnv(options: { name?: string; env?: Env; downstream?: readonly string[] } = {}): SubgraphKitConfig {
  const env = options.env ?? process.env;
  const store = parseStore(env);
  return validate(
    {
      mode: optional(env, 'AUTH_MODE'),
      name: options.name ?? optional(env, 'SUBGRAPH_NAME'),
      gatewayJwksUrl: optional(env, 'GATEWAY_JWKS_URL'),
      gatewayIssuer: optional(env, 'GATEWAY_ISSUER'),
      store,
      production: optional(env, 'NODE_ENV') === 'production',
      downstream: options.downstream,
      keyFile: keyFileFromEnv(env, options.name ?? optional(env, 'SUBGRAPH_NAME')),
      tokenEndpoint: optional(env, 'GATEWAY_TOKEN_URL'),
      requestBinding: parseRequestBinding(env),
    },
    {
      mode: 'AUTH_MODE',
      name: options.name !== undefined ? 'subgraph name' : 'SUBGRAPH_NAME',
      gatewayJwksUrl: 'GATEWAY_JWKS_URL',
      store: optional(env, 'SHARED_STORE') !== undefined ? 'SHARED_STORE' : 'SESSION_STORE',
      keyFile: 'SUBGRAPH_KEY_FILE',
      tokenEndpoint: 'GATEWAY_TOKEN_URL',
    },
  );
}

/**
 * SUBGRAPH_KEY_FILE names one process's key; SUBGRAPH_KEYS_DIR a folder of
 * them by name, so that processes started with one environment (`npm start`)
 * still each have their own — a shared key would let one pass as another at
 * the token endpoint.
 */
function keyFileFromEnv(env: Env, name: string | undefined): string | undefined {
  const file = optional(env, 'SUBGRAPH_KEY_FILE');
  const dir = optional(env, 'SUBGRAPH_KEYS_DIR');
  // An invalid name is refused by validate() before the path is used.
  return file ?? (dir !== undefined && name !== undefined ? path.join(dir, `${name}.pem`) : undefined);
}

/** The settings passed in code, validated; a bad one is a ConfigError naming the option. */
export function defineConfig(settings: SubgraphKitSettings): SubgraphKitConfig {
  if (isValidatedConfig(settings)) return settings;
  const text = (value: unknown, label: string): string | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new ConfigError(label, 'a string', JSON.stringify(value));
    return value.trim() === '' ? undefined : value.trim();
  };
  for (const flag of ['production', 'requestBinding'] as const) {
    if (settings[flag] !== undefined && typeof settings[flag] !== 'boolean') throw new ConfigError(flag, 'true or false', JSON.stringify(settings[flag]));
  }
  const store = typeof settings.store === 'object' && settings.store !== null ? settings.store : text(settings.store, 'store');
  return validate(
    {
      mode: text(settings.mode, 'mode'),
      name: typeof settings.name === 'string' ? settings.name : undefined,
      gatewayJwksUrl: text(settings.gatewayJwksUrl, 'gatewayJwksUrl'),
      gatewayIssuer: text(settings.gatewayIssuer, 'gatewayIssuer'),
      store,
      production: settings.production ?? false,
      downstream: settings.downstream,
      keyFile: text(settings.keyFile, 'keyFile'),
      tokenEndpoint: text(settings.tokenEndpoint, 'tokenEndpoint'),
      requestBinding: settings.requestBinding ?? false,
    },
    { mode: 'mode', name: 'name', gatewayJwksUrl: 'gatewayJwksUrl', store: 'store', keyFile: 'keyFile', tokenEndpoint: 'tokenEndpoint' },
  );
}
