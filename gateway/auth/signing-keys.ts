/**
 * The gateway's signing keys: Ed25519 private keys as PKCS#8 PEM files in
 * GATEWAY_KEYS_DIR. The first start generates one (readable by the owner
 * only). Every key in the folder is published in the JWKS, so tokens signed
 * with an older key keep verifying until they expire; the newest file signs.
 * Keys are parsed once here, never on the request path.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, createLocalJWKSet, importPKCS8, type JSONWebKeySet, type JWK } from 'jose';
import type { SigningKeys } from '../../shared/auth-modes/contract.js';
import { ConfigError } from '../../shared/config/env.js';
import { SIGNING_ALGORITHM } from '../../shared/jwt.js';

export type { SigningKeys };

const KEY_FILE = /\.pem$/;

export async function loadSigningKeys(dir: string): Promise<SigningKeys> {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!fs.readdirSync(dir).some((file) => KEY_FILE.test(file))) generateKey(dir);
  } catch (error) {
    throw new ConfigError('GATEWAY_KEYS_DIR', `a folder the gateway can create and write (${dir}: ${(error as Error).message})`, dir);
  }

  const files = fs
    .readdirSync(dir)
    .filter((file) => KEY_FILE.test(file))
    .map((file) => ({ file, mtime: fs.statSync(path.join(dir, file)).mtimeMs }))
    .sort((a, b) => a.mtime - b.mtime || a.file.localeCompare(b.file));

  const keys: { kid: string; pem: string; publicJwk: JWK }[] = [];
  for (const { file } of files) {
    const pem = fs.readFileSync(path.join(dir, file), 'utf8');
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(pem);
    } catch {
      throw new ConfigError('GATEWAY_KEYS_DIR', 'a folder of PKCS#8 PEM Ed25519 private keys', path.join(dir, file));
    }
    if (privateKey.asymmetricKeyType !== 'ed25519') {
      throw new ConfigError('GATEWAY_KEYS_DIR', 'a folder of Ed25519 keys only', path.join(dir, file));
    }
    const { kty, crv, x } = createPublicKey(privateKey).export({ format: 'jwk' });
    const publicJwk: JWK = { kty, crv, x };
    const kid = await calculateJwkThumbprint(publicJwk);
    keys.push({ kid, pem, publicJwk: { ...publicJwk, kid, alg: SIGNING_ALGORITHM, use: 'sig' } });
  }

  const newest = keys[keys.length - 1];
  const jwks: JSONWebKeySet = { keys: keys.map((key) => key.publicJwk) };
  return {
    current: { kid: newest.kid, privateKey: await importPKCS8(newest.pem, SIGNING_ALGORITHM) },
    jwks,
    verificationKeys: createLocalJWKSet(jwks),
  };
}

function generateKey(dir: string): void {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  const file = path.join(dir, `ed25519-${new Date().toISOString().replace(/[:.]/g, '-')}.pem`);
  fs.writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
}
