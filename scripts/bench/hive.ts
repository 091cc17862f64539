/**
 * Hive Gateway as a benchmark peer: `@graphql-hive/gateway-runtime` (the
 * runtime of the `@graphql-hive/gateway` CLI) served by Node's own HTTP
 * server on loopback, over a supergraph composed here with
 * @apollo/composition from the same running subgraphs every other variant
 * uses (their `_service { sdl }`, as IntrospectAndCompose does), with the
 * SECURITY specs stripped as for stock Apollo Gateway: peers do no
 * authorization.
 *
 * Its packages live in an npm project of their own (scripts/bench/peers,
 * README there), installed on first use by ensurePeers().
 *
 * Configuration, read from the runtime's defaults (dist/index.js of 2.12.1):
 * usage reporting is off unless `reporting` is set (it is not); no
 * persisted documents, no cache, no polling (the supergraph is a string);
 * the landing page and GraphiQL are switched off; logs at `error` only. Its
 * other defaults stay as shipped (request ids, subgraph error handling,
 * no JIT: the Guild's own runs add `--jit`, an extra plugin not installed
 * here). With `jwt`, the JWT plugin (`useJWT` from
 * @graphql-mesh/plugin-jwt-auth, what the CLI's `jwt` option installs)
 * verifies the client's access token on every request (it has no cache)
 * against an inline public key, handed over as a parsed KeyObject as this
 * gateway holds its own keys, and forwards the claims to each subgraph in
 * `extensions.jwt` (its default).
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { SignJWT } from 'jose';
import { prepareSupergraph } from '../../gateway/authorization/prepare-supergraph.js';
import { BENCH_IDENTITY } from './auth-off.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const PEERS_DIR = path.join(here, 'peers');
const STAMP = path.join(PEERS_DIR, 'node_modules', '.bench-peers-stamp');

function lockDigest(): string {
  return createHash('sha256').update(fs.readFileSync(path.join(PEERS_DIR, 'package-lock.json'))).digest('hex');
}

/** Installs scripts/bench/peers from its lockfile when it is missing or older than the lockfile. */
export function ensurePeers(log: (line: string) => void = () => {}): void {
  const digest = lockDigest();
  if (fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8') === digest) return;
  log('installing the benchmark peers (npm ci in scripts/bench/peers, once per lockfile)…');
  // Install scripts are not needed by anything the benchmark runs.
  // --prefix: under `npm run`/`npm test` the environment names the product's folder (npm_config_local_prefix).
  execFileSync('npm', ['ci', '--prefix', PEERS_DIR, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: PEERS_DIR,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 300_000,
  });
  fs.writeFileSync(STAMP, digest);
}

/** Installed versions of the peers' packages, for the report. */
export function peerVersions(): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const name of ['@graphql-hive/gateway-runtime', '@graphql-mesh/plugin-jwt-auth', '@graphql-mesh/transport-http', '@graphql-mesh/fusion-runtime', '@graphql-tools/federation']) {
    try {
      versions[name] = (JSON.parse(fs.readFileSync(path.join(PEERS_DIR, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      versions[name] = '?';
    }
  }
  return versions;
}

/**
 * What the JWT variant's clients present: an access token of the same shape
 * as this gateway's token-mode access token (shared/auth-modes/token/access-token.ts:
 * iss, aud = iss, sub, scope, jti, iat, exp; `typ: at+jwt`), signed ES256
 * instead of EdDSA because the plugin verifies with jsonwebtoken 9, which
 * has no EdDSA.
 */
export interface HiveJwtSetup {
  issuer: string;
  /** PEM, what the gateway verifies with (an inline signing-key provider). */
  publicKeyPem: string;
  token: string;
}

export async function hiveJwtSetup(issuer: string, ttlSeconds: number): Promise<HiveJwtSetup> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }) as { privateKey: KeyObject; publicKey: KeyObject };
  const token = await new SignJWT({ scope: BENCH_IDENTITY.scopes.join(' ') })
    .setProtectedHeader({ alg: 'ES256', kid: 'bench-hive', typ: 'at+jwt' })
    .setIssuer(issuer)
    .setAudience(issuer)
    .setSubject(BENCH_IDENTITY.id)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .setJti(randomUUID())
    .sign(privateKey);
  return { issuer, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), token };
}

/** The slice of the peers' API used here (hive-entry.mjs), typed locally: tsc never reads the peers folder. */
interface HiveRuntime {
  (req: http.IncomingMessage, res: http.ServerResponse): void;
  dispose(): Promise<void> | void;
}
interface HiveEntry {
  createGatewayRuntime(config: Record<string, unknown>): HiveRuntime;
  useJWT(options: Record<string, unknown>): unknown;
  createInlineSigningKeyProvider(key: string | KeyObject): unknown;
  extractFromHeader(options: { name: string; prefix?: string }): unknown;
}

const SDL_QUERY = '{ _service { sdl } }';

/** Composes the running subgraphs into a supergraph Hive Gateway loads (SECURITY specs stripped, as for the stock gateway). */
export async function composeFromSubgraphs(subgraphs: { name: string; url: string }[]): Promise<string> {
  const services = await Promise.all(
    subgraphs.map(async ({ name, url }) => {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: SDL_QUERY }) });
      const body = (await response.json()) as { data?: { _service?: { sdl?: string } } };
      const sdl = body.data?._service?.sdl;
      if (response.status !== 200 || typeof sdl !== 'string') throw new Error(`subgraph ${name} (${url}) gave no SDL (${response.status})`);
      return { name, url, typeDefs: parse(sdl) };
    }),
  );
  const composed = composeServices(services);
  if (composed.errors) throw new Error(`composition failed: ${composed.errors.map((error) => error.message).join('; ')}`);
  return prepareSupergraph(composed.supergraphSdl).supergraphSdl;
}

export interface RunningHive {
  port: number;
  close(): Promise<void>;
}

export async function startHiveGateway(
  port: number,
  subgraphs: { name: string; url: string }[],
  jwt?: Pick<HiveJwtSetup, 'issuer' | 'publicKeyPem'>,
): Promise<RunningHive> {
  const hive = (await import(pathToFileURL(path.join(PEERS_DIR, 'hive-entry.mjs')).href)) as HiveEntry;
  const supergraph = await composeFromSubgraphs(subgraphs);
  const runtime = hive.createGatewayRuntime({
    supergraph,
    logging: 'error',
    graphiql: false,
    landingPage: false,
    ...(jwt
      ? {
          plugins: () => [
            hive.useJWT({
              // A KeyObject, parsed once: given the PEM string, jsonwebtoken would parse it again on every request.
              signingKeyProviders: [hive.createInlineSigningKeyProvider(createPublicKey(jwt.publicKeyPem))],
              tokenLookupLocations: [hive.extractFromHeader({ name: 'authorization', prefix: 'Bearer' })],
              tokenVerification: { algorithms: ['ES256'], issuer: jwt.issuer, audience: jwt.issuer },
              reject: { missingToken: true, invalidToken: true },
            }),
          ],
        }
      : {}),
  });
  const server = http.createServer(runtime);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await runtime.dispose();
    },
  };
}
