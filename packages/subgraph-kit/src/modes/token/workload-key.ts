/**
 * A service's own key: its workload identity. A subgraph that calls another
 * service on the caller's behalf signs its client assertions with it when it
 * exchanges a token at the gateway (client-assertion.ts), and serves the
 * public half as a JWKS, which the gateway fetches to check them.
 *
 * An Ed25519 PKCS#8 PEM file, made on first use when it does not exist yet
 * (mode 0600; two processes starting at once agree on one). Every replica of
 * one subgraph must share the file: each is the same client.
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, importPKCS8, type CryptoKey, type JSONWebKeySet } from 'jose';
import { ConfigError } from '../../env.js';
import { SIGNING_ALGORITHM } from '../../jwt.js';

export interface WorkloadKey {
  kid: string;
  privateKey: CryptoKey;
  /** The public key, as the service serves it (GET /.well-known/jwks.json). */
  jwks: JSONWebKeySet;
}

/** The key in `file`, made when missing; a file that is not an Ed25519 private key is a ConfigError naming `setting`. */
export async function loadWorkloadKey(file: string, setting: string): Promise<WorkloadKey> {
  const pem = readOrCreate(file, setting);
  let privateKey: CryptoKey;
  try {
    privateKey = await importPKCS8(pem, SIGNING_ALGORITHM, { extractable: true });
  } catch {
    throw new ConfigError(setting, 'an Ed25519 private key in PKCS#8 PEM (or a path where one may be made)', file);
  }
  const { d: _private, ...publicJwk } = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, privateKey, jwks: { keys: [{ ...publicJwk, kid, alg: SIGNING_ALGORITHM, use: 'sig' }] } };
}

function readOrCreate(file: string, setting: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(setting, `a readable key file (${(error as NodeJS.ErrnoException).code})`, file);
  }
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // `wx`: if another process made it a moment ago, use that one.
    fs.writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
    return pem;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(file, 'utf8');
    throw new ConfigError(setting, `a path where the key can be written (${(error as NodeJS.ErrnoException).code})`, file);
  }
}
