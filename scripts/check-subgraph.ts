/**
 * `npm run check:subgraph -- --url <url> --name <name> [options]`
 *
 * A conformance checker for any running subgraph, in any language: it sends
 * the requests a subgraph must refuse and the ones it must accept, prints
 * one line per check with the status expected and the status seen, then
 * `N passed, M failed`, and exits 1 when any check failed (2 when it could
 * not run at all). Run it before listing a new subgraph in SUBGRAPHS_FILE.
 *
 * Token mode (AUTH_MODE=token, the default) — the tokens are signed either
 *   - with the gateway's own key, from GATEWAY_KEYS_DIR (--keys-dir): run it
 *     where the gateway's keys are, against a subgraph that fetches the
 *     gateway's JWKS; the issuer is GATEWAY_ISSUER (--issuer, default
 *     http://localhost:4000); or
 *   - with a throwaway key whose JWKS the checker serves itself
 *     (--serve-jwks PORT [--host 127.0.0.1]): start the subgraph with
 *     GATEWAY_JWKS_URL=http://HOST:PORT/.well-known/jwks.json (its issuer is
 *     then that origin); the checker waits for it to answer (--wait seconds).
 *   Refused (401): no token, a malformed one, not a bearer credential,
 *   alg none, HS256 keyed with the public key (its PEM, and its JWK), an
 *   unknown kid, a forged signature under a known kid, jku/x5u/embedded jwk
 *   headers, a wrong typ, the client's access token (at+jwt), another
 *   subgraph's audience, an audience list smuggling the right one, expired,
 *   not yet valid, another issuer, and a Cookie or X-User-Id-style header
 *   instead of a token. Accepted (200): a user's token, an anonymous
 *   caller's, the gateway's own for `_service { sdl }`, and an `_entities`
 *   request for a real representation (its SDL's first `@key`, placeholder
 *   values: the entity resolver runs; null is fine, a refusal is not).
 *   Unchanged: the answer to an `@authenticated` field of its SDL (else to
 *   `_service { sdl }`) for an anonymous caller's token, when X-User-Id,
 *   X-Forwarded-User or a session cookie comes next to it. And: no URL a
 *   token header named was fetched.
 *
 * Session mode (AUTH_MODE=session, --mode session): what can be seen from
 * outside. It writes two sessions into the shared store (SHARED_STORE or
 * SESSION_STORE, --store) and removes them after: a valid one is accepted,
 * `_entities` too; no session, an unknown or malformed id, and one past its
 * absolute expiry are anonymous callers, answered 200, not refused; and an
 * X-User-Id header or a bearer token next to no session changes nothing.
 */
import { createPublicKey, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { SessionData } from 'express-session';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { ConfigError, MODE_NAMES, optional, parseStore, parseStoreValue, SUBGRAPH_NAME_PATTERN, SUBGRAPH_REFUSAL_CODES, userIdentity, type StoreConfig } from '@fedgw/subgraph-kit';
import { newSessionAuth, SESSION_ID_HEADER, type SessionAuth } from '@fedgw/subgraph-kit/session';
import { IDENTITY_TOKEN_TYP, mintIdentityToken, type SigningKey } from '@fedgw/subgraph-kit/token';
import { loadSigningKeys } from '../gateway/auth/signing-keys.js';
import { mintAccessToken } from '../shared/auth-modes/token/access-token.js';
import { openStore, type SharedStore } from '../shared/store/index.js';
import { countingServer, nowSeconds, signWith, unsigned, type CountingServer } from './lib/hostile.js';
import { authenticatedProbe, entityProbe } from './lib/sdl-probes.js';

export type CheckOutcome = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  name: string;
  expected: string;
  seen: string;
  outcome: CheckOutcome;
}

export interface CheckReport {
  name: string;
  url: string;
  mode: 'token' | 'session';
  /** Where the tokens' key or the sessions came from, in one line. */
  setup: string;
  results: CheckResult[];
  passed: number;
  failed: number;
  skipped: number;
}

/** The key tokens are signed with, and the issuer the subgraph expects. */
export interface TokenSigner {
  key: SigningKey;
  publicJwk: JWK;
  issuer: string;
  describe: string;
}

export type CheckOptions = { url: string; name: string; timeoutMs?: number; host?: string } & (
  | { mode: 'token'; signer: TokenSigner }
  | { mode: 'session'; store: StoreConfig }
);

/** A request to the subgraph, and what came back. */
interface Answer {
  status: number;
  body: any;
  error?: string;
}

const QUERY = '{ __typename }';
const SDL_QUERY = '{ _service { sdl } }';
const ENTITIES_QUERY = 'query ($representations: [_Any!]!) { _entities(representations: $representations) { __typename } }';

async function ask(url: string, headers: Record<string, string>, query: string, timeoutMs: number, variables?: Record<string, unknown>): Promise<Answer> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify({ query, ...(variables ? { variables } : {}) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, body };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    return { status: 0, body: undefined, error: cause };
  }
}

/** The code an answer carries, in either error shape. */
function codeOf(body: any): string | undefined {
  const code = body?.errors?.[0]?.extensions?.code ?? body?.error?.code;
  return typeof code === 'string' ? code : undefined;
}

function seenOf(answer: Answer, extra = ''): string {
  if (answer.status === 0) return `no answer (${answer.error})`;
  const code = codeOf(answer.body);
  return `${answer.status}${code ? ` ${code}` : ''}${extra}`;
}

type Expectation =
  | { refused: true }
  /**
   * Accepted: 200, data, no error; `check` may look closer at the data. `errorsAllowed`: errors do not
   * fail it (a resolver may not find a placeholder), unless one is a refusal of the caller.
   */
  | { refused: false; check?: (data: any) => string | undefined; errorsAllowed?: boolean };

/** Codes that say the caller was refused, not that a resolver found nothing. */
const REFUSAL_CODES: ReadonlySet<string> = new Set([...SUBGRAPH_REFUSAL_CODES, 'UNAUTHENTICATED', 'FORBIDDEN']);

function judge(name: string, answer: Answer, expectation: Expectation, expectedRefusal = '401'): CheckResult {
  if (expectation.refused) {
    return { name, expected: expectedRefusal, seen: seenOf(answer), outcome: answer.status === Number(expectedRefusal) ? 'pass' : 'fail' };
  }
  const data = answer.body?.data;
  const errors: any[] = Array.isArray(answer.body?.errors) ? answer.body.errors : [];
  const codes = ` with errors (${[...new Set(errors.map((e: any) => e?.extensions?.code ?? 'no code'))].join(', ')})`;
  let problem: string | undefined;
  if (answer.status !== 200) problem = '';
  else if (errors.length > 0 && (!expectation.errorsAllowed || errors.some((e: any) => REFUSAL_CODES.has(e?.extensions?.code)))) problem = codes;
  else if (data === undefined || data === null) problem = ' without data';
  else problem = expectation.check?.(data);
  const seen = problem !== undefined ? seenOf(answer, problem) : seenOf(answer, errors.length > 0 ? codes : '');
  return { name, expected: '200', seen, outcome: problem === undefined ? 'pass' : 'fail' };
}

function tally(report: Omit<CheckReport, 'passed' | 'failed' | 'skipped'>): CheckReport {
  const count = (outcome: CheckOutcome) => report.results.filter((result) => result.outcome === outcome).length;
  return { ...report, passed: count('pass'), failed: count('fail'), skipped: count('skip') };
}

/** Sends one request to the subgraph and records how it was judged. */
function checkRunner(url: string, timeoutMs: number, results: CheckResult[]) {
  return async (label: string, headers: Record<string, string>, expectation: Expectation, query = QUERY, variables?: Record<string, unknown>) => {
    const answer = await ask(url, headers, query, timeoutMs, variables);
    results.push(judge(label, answer, expectation));
    return answer;
  };
}

type Run = ReturnType<typeof checkRunner>;

const withSdl: Expectation = {
  refused: false,
  check: (data) => (typeof data?._service?.sdl === 'string' && data._service.sdl !== '' ? undefined : ' without an SDL'),
};

/**
 * `_entities` with a real representation (the first resolvable `@key` of its SDL, placeholder key
 * values), so that an entity resolver runs: it may find nothing (null), but must not refuse the caller.
 */
async function entitiesCheck(run: Run, results: CheckResult[], sdl: string | undefined, headers: Record<string, string>, credential: string): Promise<void> {
  const probe = sdl === undefined ? undefined : entityProbe(sdl);
  if (!probe) {
    const why = sdl === undefined ? 'no SDL to read an entity from' : 'the schema has no resolvable @key entity';
    results.push({ name: `an _entities request with ${credential}`, expected: '200', seen: `not asked: ${why}`, outcome: 'skip' });
    return;
  }
  const check = (data: any) => (Array.isArray(data?._entities) && data._entities.length === 1 ? undefined : ' without _entities');
  await run(`an _entities request (a ${probe.typename}) with ${credential}`, headers, { refused: false, check, errorsAllowed: true }, ENTITIES_QUERY, { representations: [probe.representation] });
}

/** What an answer shows of whom the subgraph took the caller to be: its status, data and error codes. */
const fingerprint = (answer: Answer) => JSON.stringify([answer.status, answer.body?.data ?? null, (answer.body?.errors ?? []).map((error: any) => error?.extensions?.code ?? null)]);

/**
 * Headers a client could send, next to what says the caller is anonymous (`base`): the answer to a
 * query whose answer depends on the caller — an `@authenticated` field of its SDL, else `_service { sdl }`
 * — must not change.
 */
async function unchangedBy(extras: [string, Record<string, string>][], base: Record<string, string>, label: string, sdl: string | undefined, url: string, timeoutMs: number): Promise<CheckResult[]> {
  const probe = (sdl !== undefined ? authenticatedProbe(sdl) : undefined) ?? SDL_QUERY;
  const baseline = await ask(url, base, probe, timeoutMs);
  const results: CheckResult[] = [];
  for (const [what, extra] of extras) {
    const answer = await ask(url, { ...base, ...extra }, probe, timeoutMs);
    const same = fingerprint(answer) === fingerprint(baseline) && answer.status !== 0;
    const shown = same ? `unchanged: ${seenOf(answer)} on ${probe}` : `changed: ${seenOf(answer)} ${JSON.stringify(answer.body?.data ?? null).slice(0, 60)}`;
    results.push({ name: `${what} ${label}`, expected: 'unchanged', seen: shown, outcome: same ? 'pass' : 'fail' });
  }
  return results;
}

// ---------------------------------------------------------------------------
// Token mode

/** What the token-mode checks share: the signer, the claims of a good token, and the runner. */
interface TokenContext {
  url: string;
  name: string;
  signer: TokenSigner;
  timeoutMs: number;
  results: CheckResult[];
  run: Run;
  claims(overrides?: JWTPayload): JWTPayload;
  valid(identity: { id: string } | null): Promise<string>;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const refused = { refused: true } as const;

async function tokenChecks(options: CheckOptions & { mode: 'token' }, timeoutMs: number): Promise<CheckResult[]> {
  const { url, name, signer } = options;
  const { key, issuer } = signer;
  const results: CheckResult[] = [];
  const context: TokenContext = {
    url,
    name,
    signer,
    timeoutMs,
    results,
    run: checkRunner(url, timeoutMs, results),
    claims: (overrides = {}) => {
      const now = nowSeconds();
      return { iss: issuer, aud: name, sub: 'subgraph-check', scope: '', iat: now, exp: now + 60, jti: randomUUID(), ...overrides };
    },
    valid: async (identity) => (await mintIdentityToken(key, { issuer, audience: name, identity: identity && userIdentity(identity.id, []), ttlSeconds: 60 })).token,
  };
  const bait = await countingServer({ keys: [] });
  try {
    const sdl = await acceptedTokens(context);
    await hostileTokens(context, bait);
    await clientHeaders(context, sdl);
    // A fetch the subgraph made on its own, after it answered, counts too.
    await new Promise((resolve) => setTimeout(resolve, 250));
    const hits = bait.hits();
    results.push({ name: 'no URL named in a token header was fetched', expected: '0 fetches', seen: `${hits} fetch${hits === 1 ? '' : 'es'}`, outcome: hits === 0 ? 'pass' : 'fail' });
  } finally {
    await bait.close();
  }
  return results;
}

/** Accepted: what the gateway itself sends. Returns the subgraph's SDL, when it gave one. */
async function acceptedTokens({ run, results, signer, name, valid }: TokenContext): Promise<string | undefined> {
  await run('a valid token for its audience (a user)', bearer(await valid({ id: 'subgraph-check' })), { refused: false });
  await run('a valid token without sub (an anonymous caller)', bearer(await valid(null)), { refused: false });
  const gatewayToken = (await mintIdentityToken(signer.key, { issuer: signer.issuer, audience: name, identity: { kind: 'gateway', id: signer.issuer, scopes: [] }, ttlSeconds: 60 })).token;
  const answer = await run("_service { sdl } with the gateway's own token (sub = iss)", bearer(gatewayToken), withSdl, SDL_QUERY);
  const sdl: string | undefined = answer.body?.data?._service?.sdl;
  await entitiesCheck(run, results, sdl, bearer(await valid({ id: 'subgraph-check' })), 'a valid token');
  return sdl;
}

/** Refused: anything but the gateway's token for this subgraph. */
async function hostileTokens({ run, signer, name, claims }: TokenContext, bait: CountingServer): Promise<void> {
  const { key } = signer;
  const attackerPair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const attacker = { privateKey: attackerPair.privateKey, publicJwk: { ...(await exportJWK(attackerPair.publicKey)), kid: `attacker-${randomUUID()}` } };
  // What the bait answers if it is ever fetched: the attacker's key under every kid.
  bait.respond({ keys: [{ ...attacker.publicJwk, kid: key.kid }, attacker.publicJwk] });
  const header = { alg: 'EdDSA', typ: IDENTITY_TOKEN_TYP, kid: key.kid };
  const hmac = { alg: 'HS256', typ: IDENTITY_TOKEN_TYP, kid: key.kid };
  // The classic algorithm confusion: the public key's PEM file, bytes as they are, as an HMAC secret.
  const pem = createPublicKey({ key: { ...signer.publicJwk }, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;

  await run('no token', {}, refused);
  await run('a malformed token', bearer('not.a-jwt.at-all'), refused);
  await run('not a bearer credential (Basic)', { authorization: `Basic ${Buffer.from('subgraph-check:password').toString('base64')}` }, refused);
  await run('alg "none" (no signature)', bearer(unsigned({ typ: IDENTITY_TOKEN_TYP, kid: key.kid }, claims())), refused);
  await run("HS256 keyed with the public key's PEM (SPKI)", bearer(await signWith(new TextEncoder().encode(pem), hmac, claims())), refused);
  await run("HS256 keyed with the public key's JWK", bearer(await signWith(new TextEncoder().encode(JSON.stringify(signer.publicJwk)), hmac, claims())), refused);
  await run('an unknown kid', bearer(await signWith(attacker.privateKey, { ...header, kid: `unknown-${randomUUID()}` }, claims())), refused);
  await run("another key's signature under the gateway's kid", bearer(await signWith(attacker.privateKey, header, claims())), refused);
  await run('a jku header naming another key set', bearer(await signWith(attacker.privateKey, { ...header, jku: `${bait.url}/jwks.json` }, claims())), refused);
  await run('an x5u header naming another certificate', bearer(await signWith(attacker.privateKey, { ...header, x5u: `${bait.url}/cert.pem` }, claims())), refused);
  await run('an embedded jwk header', bearer(await signWith(attacker.privateKey, { alg: 'EdDSA', typ: IDENTITY_TOKEN_TYP, jwk: attacker.publicJwk as JWK }, claims())), refused);
  await run('typ JWT instead of identity+jwt', bearer(await signWith(key.privateKey, { ...header, typ: 'JWT' }, claims())), refused);
  const accessToken = await mintAccessToken(key, userIdentity('subgraph-check', []), { issuer: signer.issuer, ttlSeconds: 60, sid: randomUUID() });
  await run("the client's access token (typ at+jwt, aud = the gateway)", bearer(accessToken), refused);
  await run("another subgraph's audience", bearer(await signWith(key.privateKey, header, claims({ aud: otherName(name) }))), refused);
  await run('an audience list smuggling its own name', bearer(await signWith(key.privateKey, header, claims({ aud: [name, otherName(name)] }))), refused);
  await run('expired (30 s ago)', bearer(await signWith(key.privateKey, header, claims({ iat: nowSeconds() - 120, exp: nowSeconds() - 30 }))), refused);
  await run('not yet valid (nbf in 10 minutes)', bearer(await signWith(key.privateKey, header, claims({ nbf: nowSeconds() + 600 }))), refused);
  await run('another issuer', bearer(await signWith(key.privateKey, header, claims({ iss: 'https://issuer.example.invalid' }))), refused);
}

/** Headers a client could send: never a substitute for the gateway's token, nor a way to become someone next to it. */
async function clientHeaders({ run, results, url, timeoutMs, valid }: TokenContext, sdl: string | undefined): Promise<void> {
  const cookie = { cookie: `fedgw.sid=s%3A${randomBytes(24).toString('base64url')}.signature` };
  await run("the client's session cookie instead of a token", cookie, refused);
  await run('X-User-Id: u1 instead of a token', { 'x-user-id': 'u1' }, refused);
  await run('X-Forwarded-User: u1 instead of a token', { 'x-forwarded-user': 'u1' }, refused);
  const extras: [string, Record<string, string>][] = [
    ['X-User-Id: u1', { 'x-user-id': 'u1' }],
    ['X-Forwarded-User: u1', { 'x-forwarded-user': 'u1' }],
    ["the client's session cookie", cookie],
  ];
  results.push(...(await unchangedBy(extras, bearer(await valid(null)), "next to an anonymous caller's token", sdl, url, timeoutMs)));
}

function otherName(name: string): string {
  return name === 'accounts' ? 'products' : 'accounts';
}

// ---------------------------------------------------------------------------
// Session mode

async function sessionChecks(options: CheckOptions & { mode: 'session' }, timeoutMs: number): Promise<CheckResult[]> {
  const { url } = options;
  const results: CheckResult[] = [];
  const store = await openStore(options.store);
  await storeAnswers(store);
  const written: string[] = [];
  const write = async (auth: SessionAuth) => {
    const sid = randomBytes(24).toString('base64url');
    const expires = new Date(Date.now() + 120_000);
    await new Promise<void>((resolve, reject) =>
      store.sessions.set(sid, { cookie: { originalMaxAge: 120_000, expires, httpOnly: true, path: '/' }, auth } as SessionData, (error) => (error ? reject(error) : resolve())),
    );
    written.push(sid);
    return sid;
  };
  try {
    const user = { identity: userIdentity('subgraph-check', []), username: 'subgraph-check', name: 'Subgraph check' };
    const valid = await write(newSessionAuth(user, 120));
    const ended = await write({ ...newSessionAuth(user, 120, Date.now() - 240_000) });
    const run = checkRunner(url, timeoutMs, results);
    const anonymous: Expectation = { refused: false };
    const session = (sid: string) => ({ [SESSION_ID_HEADER]: sid });

    await run('no session id (an anonymous caller)', {}, anonymous);
    const sdl: string | undefined = (await run("_service { sdl } without a session (the gateway's schema fetch)", {}, withSdl, SDL_QUERY)).body?.data?._service?.sdl;
    await run('a session id the store does not know', session(randomBytes(24).toString('base64url')), anonymous);
    await run('a malformed session id', session("'; DROP TABLE sessions; --"), anonymous);
    await run('a session past its absolute expiry', session(ended), anonymous);
    await run('a valid session from the shared store', session(valid), { refused: false });
    await entitiesCheck(run, results, sdl, session(valid), 'a valid session');
    // A bearer token a client made up, claiming u1: session mode trusts the store only.
    const claimed = unsigned({ typ: IDENTITY_TOKEN_TYP }, { sub: 'u1', iat: nowSeconds(), exp: nowSeconds() + 60 });
    const extras: [string, Record<string, string>][] = [
      ['X-User-Id: u1', { 'x-user-id': 'u1' }],
      ['a bearer token claiming u1', bearer(claimed)],
    ];
    results.push(...(await unchangedBy(extras, {}, 'with no session', sdl, url, timeoutMs)));
  } finally {
    for (const sid of written) await new Promise<void>((resolve) => store.sessions.destroy(sid, () => resolve()));
    await store.close();
  }
  return results;
}

/** A Redis store connects in the background: wait until it answers (SQLite answers at once). */
async function storeAnswers(store: SharedStore): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const readiness = await store.ping();
    if (readiness.ok) return;
    if (Date.now() > deadline) {
      await store.close();
      throw new Error(`the shared store does not answer: ${readiness.detail ?? 'no detail'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// ---------------------------------------------------------------------------

/** Runs every check of the mode against the subgraph at `url`. */
export async function checkSubgraph(options: CheckOptions): Promise<CheckReport> {
  const timeoutMs = options.timeoutMs ?? 5000;
  if (options.mode === 'token') {
    const results = await tokenChecks(options, timeoutMs);
    return tally({ name: options.name, url: options.url, mode: 'token', setup: options.signer.describe, results });
  }
  const results = await sessionChecks(options, timeoutMs);
  const store = options.store.kind === 'sqlite' ? `sqlite:${options.store.path}` : options.store.url;
  return tally({ name: options.name, url: options.url, mode: 'session', setup: `sessions written to ${store}`, results });
}

const MARK: Record<CheckOutcome, string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };

/** One line per check, then the summary. */
export function formatReport(report: CheckReport): string {
  const width = Math.max(...report.results.map((result) => result.name.length));
  const lines = [
    `check-subgraph: "${report.name}" at ${report.url}, ${report.mode} mode (${report.setup})`,
    ...report.results.map((result) => `  ${MARK[result.outcome]}  ${result.name.padEnd(width)}  expected ${result.expected.padEnd(9)}  seen ${result.seen}`),
    `${report.passed} passed, ${report.failed} failed${report.skipped ? `, ${report.skipped} skipped` : ''}`,
  ];
  return lines.join('\n');
}

/** The gateway's signing key, read from its key folder (never creating one). */
export async function gatewaySigner(dir: string, issuer: string): Promise<TokenSigner> {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((file) => file.endsWith('.pem') && !file.startsWith('.')) : [];
  if (files.length === 0) throw new ConfigError('GATEWAY_KEYS_DIR', "the gateway's key folder, with its keys (run the checker where the gateway's keys are, or use --serve-jwks)", dir);
  const ring = await loadSigningKeys(dir);
  const key = ring.current;
  const publicJwk = ring.jwks.keys.find((jwk) => jwk.kid === key.kid)!;
  return { key, publicJwk, issuer, describe: `the gateway's key ${key.kid.slice(0, 12)}… from ${dir}, issuer ${issuer}` };
}

export interface ThrowawayJwks {
  signer: TokenSigner;
  url: string;
  close(): Promise<void>;
}

/** A throwaway Ed25519 key, its JWKS served at http://host:port/.well-known/jwks.json; the issuer is that origin. */
export async function serveThrowawayJwks(port: number, host = '127.0.0.1'): Promise<ThrowawayJwks> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  const publicJwk: JWK = { ...jwk, kid, alg: 'EdDSA', use: 'sig' };
  const server = http.createServer((req, res) => {
    if (req.url?.split('?')[0] === '/.well-known/jwks.json') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] }));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const actual = (server.address() as AddressInfo).port;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
  return {
    url: `${origin}/.well-known/jwks.json`,
    signer: { key: { kid, privateKey: privateKey as CryptoKey }, publicJwk, issuer: origin, describe: `a throwaway key ${kid.slice(0, 12)}…, JWKS served at ${origin}/.well-known/jwks.json, issuer ${origin}` },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Waits until something answers HTTP at `url` (any status). */
async function waitForAnswer(url: string, seconds: number): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const answer = await ask(url, {}, QUERY, 1000);
    if (answer.status !== 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// ---------------------------------------------------------------------------
// The command line

const USAGE = `usage: npm run check:subgraph -- --url <url> --name <name> [--mode token|session]
  token mode:   [--keys-dir DIR] [--issuer ISS]            sign with the gateway's key (GATEWAY_KEYS_DIR, GATEWAY_ISSUER)
                or --serve-jwks PORT [--host H] [--wait S]  sign with a throwaway key, its JWKS served by the checker
  session mode: [--store sqlite:<path>|redis://host:port]  the shared store (SHARED_STORE, SESSION_STORE)`;

class UsageError extends Error {}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        name: { type: 'string' },
        mode: { type: 'string' },
        'keys-dir': { type: 'string' },
        issuer: { type: 'string' },
        'serve-jwks': { type: 'string' },
        host: { type: 'string' },
        wait: { type: 'string' },
        store: { type: 'string' },
        'timeout-ms': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.url || !URL.canParse(values.url) || !/^https?:$/.test(new URL(values.url).protocol)) throw new UsageError('--url must be the subgraph\'s http(s) GraphQL URL');
  if (!values.name || !SUBGRAPH_NAME_PATTERN.test(values.name)) throw new UsageError(`--name must be the subgraph's name as the gateway lists it (${SUBGRAPH_NAME_PATTERN})`);
  const mode = values.mode ?? optional(env, 'AUTH_MODE') ?? 'token';
  if (!(MODE_NAMES as string[]).includes(mode)) throw new UsageError(`--mode (or AUTH_MODE) must be ${MODE_NAMES.join(' or ')}`);
  const timeoutMs = values['timeout-ms'] === undefined ? 5000 : Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100) throw new UsageError('--timeout-ms must be a whole number of milliseconds, 100 or more');

  let report: CheckReport;
  if (mode === 'session') {
    const store = values.store !== undefined ? parseStoreValue(values.store, '--store') : parseStore(env);
    report = await checkSubgraph({ mode: 'session', url: values.url, name: values.name, store, timeoutMs });
  } else if (values['serve-jwks'] !== undefined) {
    const port = Number(values['serve-jwks']);
    if (!/^\d+$/.test(values['serve-jwks']) || port > 65535) throw new UsageError('--serve-jwks must be a port number');
    const wait = values.wait === undefined ? 30 : Number(values.wait);
    const served = await serveThrowawayJwks(port, values.host ?? '127.0.0.1');
    try {
      console.log(`check-subgraph: serving a throwaway JWKS at ${served.url}; the subgraph must run with GATEWAY_JWKS_URL=${served.url}`);
      if (!(await waitForAnswer(values.url, wait))) {
        console.error(`check-subgraph: nothing answered at ${values.url} within ${wait} s`);
        return 2;
      }
      report = await checkSubgraph({ mode: 'token', url: values.url, name: values.name, signer: served.signer, timeoutMs });
    } finally {
      await served.close();
    }
  } else {
    const dir = path.resolve(values['keys-dir'] ?? optional(env, 'GATEWAY_KEYS_DIR') ?? '.data/keys');
    const issuer = values.issuer ?? optional(env, 'GATEWAY_ISSUER') ?? 'http://localhost:4000';
    report = await checkSubgraph({ mode: 'token', url: values.url, name: values.name, signer: await gatewaySigner(dir, issuer), timeoutMs });
  }
  console.log(formatReport(report));
  return report.failed === 0 ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof UsageError) console.error(`check-subgraph: ${error.message}\n${USAGE}`);
      else if (error instanceof ConfigError) console.error(`check-subgraph: ${error.message}`);
      else console.error('check-subgraph: could not run:', error);
      process.exit(2);
    },
  );
}
