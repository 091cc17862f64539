/**
 * Request binding (REQUEST_BINDING=on): the request proof, both ends. The
 * gateway signs one per subgraph fetch; the subgraph checks it before it
 * answers. An identity token (or a session id) alone is a bearer credential:
 * captured on the gateway → subgraph link, it works with any query, at any
 * time until it expires. The proof ties it to one request — the method, the
 * target (the subgraph's name and the path), the body's digest (RFC 9530
 * `Content-Digest`, sha-256) and the credential it came with (`ath`, the
 * SHA-256 of it, as in DPoP, RFC 9449, and the WIMSE workload proof token) —
 * for a few seconds, once: a subgraph takes each `jti` a single time.
 *
 * Format: docs/design.md, "The request proof". It is a JWT signed with the
 * gateway's keys (its JWKS, as the identity token), `typ: request-proof+jwt`,
 * in the `Request-Proof` header, beside `Content-Digest`.
 */
import { createHash, KeyObject, randomUUID, sign } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { CryptoKey, JWTPayload, JWTVerifyGetKey } from 'jose';
import { oneOf, type Env } from './env.js';
import { AuthError } from './errors.js';
import { headerOf, type RequestHeaders } from './headers.js';
import { CLOCK_SKEW_SECONDS, SIGNING_ALGORITHM, verifyJwt } from './jwt.js';
import { SESSION_ID_HEADER } from './modes/session/session-record.js';
import type { SigningKey } from './modes/token/identity-token.js';

export const REQUEST_PROOF_HEADER = 'request-proof';
export const CONTENT_DIGEST_HEADER = 'content-digest';
export const REQUEST_PROOF_TYP = 'request-proof+jwt';
/** Long enough for a busy subgraph to get to the request, short enough that the seen-ids stay few. */
export const REQUEST_PROOF_TTL_SECONDS = 10;
/** The claims a proof must carry besides iss, aud, iat and exp. */
const REQUIRED_CLAIMS = ['jti', 'htm', 'htp', 'cdg'];

/**
 * REQUEST_BINDING (`on`/`off`, default off), read the same way by the gateway
 * and by every subgraph: it costs a signature per fetch and a check per request.
 */
export function parseRequestBinding(env: Env): boolean {
  return oneOf(env, 'REQUEST_BINDING', ['on', 'off'] as const, 'off') === 'on';
}

/** A request body as a framework hands it over: its bytes, its text, or (already parsed) its JSON value. */
export type RequestBody = Uint8Array | string | object | null | undefined;

/** What a proof is checked against: the request as the subgraph received it. */
export interface ProvenRequest {
  method: string;
  /** The path, without the query string. */
  path: string;
  headers: RequestHeaders;
  body: RequestBody;
}

/**
 * RFC 9530 `Content-Digest` with sha-256 of the body's bytes. A body the
 * framework already parsed is serialized again with JSON.stringify: for what
 * the gateway sends (itself JSON.stringify's output) that gives the same bytes.
 */
export function contentDigest(body: RequestBody): string {
  const bytes = body === undefined || body === null ? '' : typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  return `sha-256=:${createHash('sha256').update(bytes).digest('base64')}:`;
}

/** `ath`: base64url SHA-256 of the credential a request carries (RFC 9449 §4.2's form). */
export function credentialHash(credential: string): string {
  return createHash('sha256').update(credential).digest('base64url');
}

/**
 * The credential a request carries, whatever the mode: the bearer token of
 * `Authorization` when there is one (token mode), else `X-Session-Id`
 * (session mode); undefined when there is neither (an anonymous caller in
 * session mode). Repeated headers are refused.
 */
export function credentialOf(headers: RequestHeaders): string | undefined {
  const authorization = headerOf(headers, 'authorization') ?? undefined;
  const value = authorization ?? headerOf(headers, SESSION_ID_HEADER) ?? undefined;
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new AuthError('REQUEST_PROOF_INVALID', 'one credential header per request');
  return authorization === undefined ? value : value.replace(/^Bearer\s+/i, '');
}

export interface MintRequestProofOptions {
  issuer: string;
  /** The subgraph's name. */
  audience: string;
  method: string;
  path: string;
  body: string | Uint8Array;
  /** What credentialOf gives for the request's headers. */
  credential: string | undefined;
  ttlSeconds?: number;
}

/** The headers that bind one request: `Request-Proof` and `Content-Digest`. */
export function mintRequestProof(key: SigningKey, options: MintRequestProofOptions): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  const digest = contentDigest(options.body);
  const proof = signJws(key, {
    iss: options.issuer,
    aud: options.audience,
    htm: options.method.toUpperCase(),
    htp: options.path,
    cdg: digest,
    ...(options.credential !== undefined ? { ath: credentialHash(options.credential) } : {}),
    iat: now,
    exp: now + (options.ttlSeconds ?? REQUEST_PROOF_TTL_SECONDS),
    jti: randomUUID(),
  });
  return { [REQUEST_PROOF_HEADER]: proof, [CONTENT_DIGEST_HEADER]: digest };
}

const nodeKeys = new WeakMap<CryptoKey, KeyObject>();

/**
 * A compact JWS (RFC 7515) signed with node:crypto's synchronous Ed25519:
 * the gateway signs one per fetch, and jose's WebCrypto path costs two to
 * three times the CPU (and a thread-pool hop). Verification stays jose's.
 */
function signJws(key: SigningKey, payload: Record<string, unknown>): string {
  let privateKey = nodeKeys.get(key.privateKey);
  if (!privateKey) nodeKeys.set(key.privateKey, (privateKey = KeyObject.from(key.privateKey as Parameters<typeof KeyObject.from>[0])));
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: REQUEST_PROOF_TYP })}.${part(payload)}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
}

/** What a fetcher is given (the gateway's data source passes its headers as a record, the body as a string). */
interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface ProofSigner {
  issuer: string;
  /** The key that signs now (it changes when a new key activates). */
  key(): SigningKey;
}

/** `fetcher` with a request proof added to every request it sends to subgraph `audience`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any fetcher whose init has record headers
export function withRequestProofs<F extends (url: string, init?: any) => Promise<unknown>>(fetcher: F, audience: string, signer: ProofSigner): F {
  return (async (url: string, init: FetchInit = {}) => {
    const headers = { ...init.headers };
    const method = init.method ?? 'GET';
    const body = typeof init.body === 'string' || init.body instanceof Uint8Array ? init.body : '';
    const proof = mintRequestProof(signer.key(), {
      issuer: signer.issuer,
      audience,
      method,
      path: new URL(url).pathname,
      body,
      credential: credentialOf(headers),
    });
    return fetcher(url, { ...init, method, headers: { ...headers, ...proof } });
  }) as F;
}

/** What the request says, for the claims check. */
export interface RequestFacts {
  method: string;
  path: string;
  digest: string;
  credential: string | undefined;
}

/**
 * Why a signature-checked proof does not fit the request, or undefined
 * when it does. Pure: the signature, `typ`, `iss`, `aud` and `exp` are
 * verifyJwt's; this checks what binds it to the request, and its lifetime.
 */
export function proofMismatch(claims: JWTPayload, request: RequestFacts): string | undefined {
  if (claims.htm !== request.method.toUpperCase()) return 'method';
  if (claims.htp !== request.path) return 'path';
  if (claims.cdg !== request.digest) return 'body digest';
  if (claims.ath !== (request.credential === undefined ? undefined : credentialHash(request.credential))) return 'credential';
  if (typeof claims.jti !== 'string' || claims.jti.length === 0 || claims.jti.length > 128) return 'jti';
  // Only the gateway signs proofs; still, one made to live long would keep a replay window open.
  if (claims.exp! - claims.iat! > REQUEST_PROOF_TTL_SECONDS) return 'lifetime';
  return undefined;
}

export interface SeenProofIdsOptions {
  /** The most ids kept; past it the oldest go first (they are the closest to their expiry). */
  maxEntries?: number;
  /** ms since the epoch; injectable for tests. */
  now?: () => number;
}

/**
 * The proof ids a subgraph process has taken, each until its proof expires
 * (plus the clock skew verification allows): bounded memory. One process's
 * own: replicas of a subgraph each keep theirs (docs/security.md).
 */
export class SeenProofIds {
  private readonly expiries = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: SeenProofIdsOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.expiries.size;
  }

  /** Takes `jti` (expiring at `exp`, seconds); false when it was taken before. */
  take(jti: string, exp: number): boolean {
    const now = this.now();
    // Insertion order is expiry order (every proof lives as long): the expired ones are at the front.
    for (const [id, expiresAt] of this.expiries) {
      if (expiresAt > now) break;
      this.expiries.delete(id);
    }
    if (this.expiries.has(jti)) return false;
    this.expiries.set(jti, (exp + CLOCK_SKEW_SECONDS) * 1000);
    if (this.expiries.size > this.maxEntries) this.expiries.delete(this.expiries.keys().next().value!);
    return true;
  }
}

export interface RequestProofVerifierOptions {
  /** The gateway's public keys (its JWKS). */
  keys: JWTVerifyGetKey;
  issuer: string;
  /** The verifying subgraph's own name. */
  audience: string;
  seen?: SeenProofIds;
}

/** Checks a request's proof; throws AuthError REQUEST_PROOF_MISSING, _INVALID or _REPLAYED (KEYS_UNAVAILABLE when keys cannot be fetched). */
export function createRequestProofVerifier(options: RequestProofVerifierOptions): (request: ProvenRequest) => Promise<void> {
  const seen = options.seen ?? new SeenProofIds();
  return async (request) => {
    const proof = headerOf(request.headers, REQUEST_PROOF_HEADER);
    if (proof === undefined || proof === '') throw new AuthError('REQUEST_PROOF_MISSING', 'request binding is on: every request needs the gateway\'s Request-Proof');
    if (typeof proof !== 'string') throw new AuthError('REQUEST_PROOF_INVALID', 'one Request-Proof header');
    const claims = await verifyProof(proof, options);
    const facts = { method: request.method, path: request.path, digest: contentDigest(request.body), credential: credentialOf(request.headers) };
    const mismatch = proofMismatch(claims, facts);
    if (mismatch) throw new AuthError('REQUEST_PROOF_INVALID', `the request proof does not match this request (${mismatch})`);
    if (!seen.take(claims.jti!, claims.exp!)) throw new AuthError('REQUEST_PROOF_REPLAYED', 'this request proof was used before');
  };
}

async function verifyProof(proof: string, options: RequestProofVerifierOptions): Promise<JWTPayload> {
  try {
    return await verifyJwt(proof, options.keys, { typ: REQUEST_PROOF_TYP, issuer: options.issuer, audience: options.audience, requiredClaims: REQUIRED_CLAIMS, singleAudience: true });
  } catch (error) {
    // The token's codes are the identity token's; a bad or expired proof has its own.
    if (error instanceof AuthError && error.code !== 'KEYS_UNAVAILABLE') throw new AuthError('REQUEST_PROOF_INVALID', `request proof: ${error.message}`, { cause: error });
    throw error;
  }
}

/** A Node request (Express, Apollo Server's integrations): its body as a body parser left it, `rawBody` first. */
export function nodeRequest(req: IncomingMessage & { originalUrl?: string; body?: unknown; rawBody?: unknown }): Omit<ProvenRequest, 'headers'> {
  const url = req.originalUrl ?? req.url ?? '/';
  const query = url.indexOf('?');
  const raw = req.rawBody instanceof Uint8Array || typeof req.rawBody === 'string' ? req.rawBody : undefined;
  return { method: req.method ?? 'GET', path: query === -1 ? url : url.slice(0, query), body: raw ?? (req.body as RequestBody) };
}
