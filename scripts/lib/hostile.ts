/**
 * Helpers for attack tests: a JWT with any header at all, and a small HTTP
 * server that counts whether anything was fetched from it (so a test can
 * prove a `jku`/`x5u` header was never followed).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, type CryptoKey, type JWTHeaderParameters, type JWTPayload } from 'jose';

export async function signWith(key: CryptoKey | Uint8Array, header: JWTHeaderParameters, claims: JWTPayload): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header).sign(key);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Ed25519-signed with any header, even one jose refuses to produce (an
 * unknown `crit` extension): signed by hand with WebCrypto.
 */
export async function signEd25519Raw(key: CryptoKey, header: Record<string, unknown>, claims: JWTPayload): Promise<string> {
  const input = `${b64({ ...header, alg: 'EdDSA' })}.${b64(claims)}`;
  const signature = await crypto.subtle.sign('Ed25519', key as unknown as globalThis.CryptoKey, new TextEncoder().encode(input));
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

/** `alg: none`: no signature at all. */
export function unsigned(header: Record<string, unknown>, claims: JWTPayload): string {
  return `${b64({ ...header, alg: 'none' })}.${b64(claims)}.`;
}

export interface CountingServer {
  url: string;
  hits: () => number;
  /** Sets what the server answers from now on. */
  respond(body: unknown): void;
  close(): Promise<void>;
}

export async function countingServer(body: unknown = { keys: [] }): Promise<CountingServer> {
  let hits = 0;
  let answer = body;
  const server = http.createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    respond: (next) => {
      answer = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
