/**
 * The gateway's signing keys, live: Ed25519 private keys as PKCS#8 PEM files
 * in GATEWAY_KEYS_DIR, which every replica of a deployment shares (a shared
 * folder, or a mounted Kubernetes Secret). The folder is watched, and read
 * again every few seconds besides (a network file system may send no
 * events), so a key added, retired or removed reaches every replica without
 * a restart. Which key does what follows from the file names alone, so every
 * replica reaches the same answer:
 *
 *   ed25519-<created>.pem                  created: published at once; signs from created + KEY_ACTIVATION_DELAY
 *   ed25519-<created>.retired-<when>.pem   retired: signs no more; published until every token it signed has expired
 *
 * (<created>/<when> are ISO times with `:` and `.` written as `-`; a file
 * without a time in its name counts from its modification time.) The signer
 * is the newest key whose activation time has passed — or, while none has
 * (a fresh folder), the oldest key not retired. `npm run keys` does the file
 * work (scripts/keys.ts). Keys are parsed when files change, never on the
 * request path.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, createLocalJWKSet, importPKCS8, type JSONWebKeySet, type JWK, type JWTVerifyGetKey } from 'jose';
import { ConfigError } from '@fedgw/subgraph-kit';
import { type SigningKey, CLOCK_SKEW_SECONDS, SIGNING_ALGORITHM } from '@fedgw/subgraph-kit/token';
import type { SigningKeys } from '../../shared/auth-modes/contract.js';
import { watchFolder, type FileWatch } from '../../shared/file-watch.js';
import type { GatewayConfig } from '../../shared/config/gateway.js';
import type { Logger } from '../../shared/observability/logger.js';
import { keyStates, parseKeyFileName, type KeyPolicy, type KeyTimes } from './key-states.js';

export type { SigningKeys };

const KEY_FILE = /\.pem$/;
const RESCAN_MS = 5000;

export interface KeyRingOptions {
  /** KEY_ACTIVATION_DELAY: how long a new key is published before it signs. */
  activationDelayMs?: number;
  /** How long a retired key stays published: the longest lifetime of a token it signed, plus margins. */
  retiredPublishedMs?: number;
  /** Follow the folder (the gateway does; a test reading a key does not). */
  watch?: boolean;
  logger?: Logger;
}

export interface LoadedKey extends KeyTimes {
  file: string;
  kid: string;
  signing: SigningKey;
  publicJwk: JWK;
}

/**
 * The key timing a deployment's settings give: KEY_ACTIVATION_DELAY, and how
 * long a retired key stays published — until every token it signed has
 * expired (the longest lifetime the gateway gives a token, plus clock skew),
 * plus the activation delay again, for the replicas that signed with it a
 * moment longer before they saw it retired.
 */
export function keyPolicy(config: GatewayConfig): KeyPolicy {
  const longestToken = Math.max(config.accessTokenTtlSeconds, config.identityTokenTtlSeconds);
  return {
    activationDelayMs: config.keyActivationDelaySeconds * 1000,
    retiredPublishedMs: (longestToken + CLOCK_SKEW_SECONDS + config.keyActivationDelaySeconds) * 1000,
  };
}

/** Opens the key folder, generating a first key in an empty one. A bad file at start is a configuration error. */
export async function loadSigningKeys(dir: string, options: KeyRingOptions = {}): Promise<KeyRing> {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!listKeyFiles(dir).length) writeNewKey(dir);
  } catch (error) {
    throw new ConfigError('GATEWAY_KEYS_DIR', `a folder the gateway can create and write (${dir}: ${(error as Error).message})`, dir);
  }
  const ring = new KeyRing(dir, options, await readKeys(dir));
  if (options.watch) ring.follow();
  return ring;
}

export class KeyRing implements SigningKeys {
  private view: { until: number; signer: LoadedKey; published: LoadedKey[]; jwks: JSONWebKeySet; resolver: JWTVerifyGetKey } | undefined;
  private readonly removedListeners: (() => void)[] = [];
  private watch: FileWatch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private fingerprint: string;

  constructor(
    readonly dir: string,
    private readonly options: KeyRingOptions,
    private keys: LoadedKey[],
  ) {
    this.fingerprint = fingerprintOf(dir);
  }

  /** The key that signs now. */
  get current(): SigningKey {
    return this.now().signer.signing;
  }

  /** Public keys of every published key, for GET /.well-known/jwks.json. */
  get jwks(): JSONWebKeySet {
    return this.now().jwks;
  }

  /** A key resolver over the published keys, for verifying the gateway's own access tokens. */
  readonly verificationKeys: JWTVerifyGetKey = (header, token) => this.now().resolver(header, token);

  /** The keys as read from the folder (for `npm run keys`). */
  loaded(): LoadedKey[] {
    return [...this.keys];
  }

  /** Called when a key stops being published (retired long enough, or its file removed). */
  onRemoved(listener: () => void): void {
    this.removedListeners.push(listener);
  }

  follow(): void {
    const reload = () => void this.reload();
    this.watch = watchFolder(this.dir, reload, { debounceMs: 200, onError: (error) => this.options.logger?.warn(`not watching ${this.dir} (${error.message}); read every ${RESCAN_MS / 1000} s`) });
    this.timer = setInterval(() => {
      if (fingerprintOf(this.dir) !== this.fingerprint) reload();
    }, RESCAN_MS);
    this.timer.unref();
  }

  close(): void {
    this.watch?.close();
    clearInterval(this.timer);
  }

  /** Reads the folder again; a bad file keeps the keys the ring had (and is logged), it never stops the gateway. */
  async reload(): Promise<void> {
    const fingerprint = fingerprintOf(this.dir);
    try {
      const keys = await readKeys(this.dir);
      const before = new Set(this.now().published.map((key) => key.kid));
      this.keys = keys;
      this.fingerprint = fingerprint;
      this.view = undefined;
      const after = new Set(this.now().published.map((key) => key.kid));
      this.options.logger?.info(`signing keys: ${describe(this.now().signer, this.now().published)}`);
      if ([...before].some((kid) => !after.has(kid))) for (const listener of this.removedListeners) listener();
    } catch (error) {
      this.options.logger?.warn(`signing keys not reloaded, keeping the ones loaded before: ${(error as Error).message}`);
    }
  }

  /** What signs and what is published now; recomputed when a key's time comes, or after a reload. */
  private now() {
    const now = Date.now();
    if (this.view && now < this.view.until) return this.view;
    const before = this.view?.published;
    const states = keyStates(this.keys, now, { activationDelayMs: this.options.activationDelayMs ?? 0, retiredPublishedMs: this.options.retiredPublishedMs ?? 0 });
    const jwks = { keys: states.published.map((key) => key.publicJwk) };
    this.view = { until: states.nextChange, signer: states.signer, published: states.published, jwks, resolver: createLocalJWKSet(jwks) };
    if (before && before.some((key) => !states.published.includes(key))) for (const listener of this.removedListeners) listener();
    return this.view;
  }
}

function describe(signer: LoadedKey, published: LoadedKey[]): string {
  return `${signer.kid} signs; ${published.length} published (${published.map((key) => key.kid.slice(0, 8)).join(', ')})`;
}

function listKeyFiles(dir: string): string[] {
  // Dot-names are a Kubernetes Secret's own entries (..data, ..<timestamp>), not keys.
  return fs.readdirSync(dir).filter((file) => KEY_FILE.test(file) && !file.startsWith('.'));
}

/** Names, sizes and modification times: what changes when a key file does. */
function fingerprintOf(dir: string): string {
  try {
    return listKeyFiles(dir)
      .map((file) => {
        const stat = fs.statSync(path.join(dir, file));
        return `${file}:${stat.size}:${stat.mtimeMs}`;
      })
      .sort()
      .join('|');
  } catch {
    return '';
  }
}

async function readKeys(dir: string): Promise<LoadedKey[]> {
  const keys: LoadedKey[] = [];
  for (const file of listKeyFiles(dir)) keys.push(await readKey(dir, file));
  if (keys.length === 0) throw new ConfigError('GATEWAY_KEYS_DIR', 'a folder with at least one key', dir);
  return keys;
}

async function readKey(dir: string, file: string): Promise<LoadedKey> {
  const full = path.join(dir, file);
  const pem = fs.readFileSync(full, 'utf8');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    throw new ConfigError('GATEWAY_KEYS_DIR', 'a folder of PKCS#8 PEM Ed25519 private keys', full);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new ConfigError('GATEWAY_KEYS_DIR', 'a folder of Ed25519 keys only', full);
  const { kty, crv, x } = createPublicKey(privateKey).export({ format: 'jwk' });
  const kid = await calculateJwkThumbprint({ kty, crv, x });
  const times = parseKeyFileName(file, fs.statSync(full).mtimeMs);
  return {
    file,
    kid,
    ...times,
    signing: { kid, privateKey: await importPKCS8(pem, SIGNING_ALGORITHM) },
    publicJwk: { kty, crv, x, kid, alg: SIGNING_ALGORITHM, use: 'sig' },
  };
}

/** `ed25519-<ISO time, with : and . as ->.pem` */
export function keyFileName(created: Date): string {
  return `ed25519-${created.toISOString().replace(/[:.]/g, '-')}.pem`;
}

/** Writes a new Ed25519 key, readable by its owner only; returns the file's name. */
export function writeNewKey(dir: string, created = new Date()): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  const file = keyFileName(created);
  fs.writeFileSync(path.join(dir, file), privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o600, flag: 'wx' });
  return file;
}
