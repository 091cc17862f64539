/**
 * The provider's tokens in a session record, sealed (AES-256-GCM, with a key
 * derived from SESSION_SECRET). The record lives in the shared store, which
 * the subgraphs read too (for `auth`); they do not have SESSION_SECRET, so
 * what they can read of a provider sign-in is its `sub` and `sid`, never its
 * tokens. Only the gateway can open them.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { ProviderSignIn } from '../contract.js';

export type ProviderTokens = ProviderSignIn['tokens'];

/** What a session record keeps of a provider sign-in. */
export interface StoredProviderSignIn extends Omit<ProviderSignIn, 'tokens'> {
  /** `v1.<iv>.<ciphertext>.<tag>`, base64url. */
  sealedTokens: string;
}

const VERSION = 'v1';

function keyFrom(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'fedgw', 'provider tokens in a session record', 32));
}

export function sealProviderTokens(tokens: ProviderTokens, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFrom(secret), iv);
  const sealed = Buffer.concat([cipher.update(JSON.stringify(tokens), 'utf8'), cipher.final()]);
  return [VERSION, iv, sealed, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

/** The tokens, or undefined for a record sealed with another secret or altered. */
export function openProviderTokens(sealed: string, secret: string): ProviderTokens | undefined {
  const [version, iv, data, tag] = sealed.split('.');
  if (version !== VERSION || iv === undefined || data === undefined || tag === undefined) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyFrom(secret), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return JSON.parse(Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8')) as ProviderTokens;
  } catch {
    return undefined;
  }
}

export function storedProviderSignIn({ tokens, ...signIn }: ProviderSignIn, secret: string): StoredProviderSignIn {
  return { ...signIn, sealedTokens: sealProviderTokens(tokens, secret) };
}
