/**
 * A real OpenID Provider for the tests: `npm run idp` (oidc-provider) as its
 * own process on a free port, with signing keys the test knows (so a test can
 * craft a token "from the provider" that fails exactly one check), and
 * optionally a proxy in front that can swap the ID token in the token
 * endpoint's answer. Plus a cookie-jar browser that walks the sign-in
 * without Chromium.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { decodeJwt, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import { devSigningKeys } from '../../scripts/lib/dev-idp.js';
import { freePort, tempDir } from '../../scripts/lib/local.js';
import { eventually } from './eventually.js';
import { ROOT, TSX } from './stack.js';

export const CLIENT = { id: 'fedgw-test', secret: 'fedgw-test-secret-0123456789' };

export interface TestProvider {
  /** The issuer the gateway is configured with (the proxy's URL when there is one). */
  issuer: string;
  /** Private signing keys of the provider. */
  jwks: { keys: JWK[] };
  /** Replaces the ID token of the next token responses, or stops doing so (undefined). */
  tamper(rewrite: ((idToken: string) => Promise<string>) | undefined): void;
  /** Every ID token the token endpoint answered (after any tampering). */
  idTokens: string[];
  /** Every token the token endpoint answered: ID, access and refresh tokens (an access token may be opaque). */
  issuedTokens: string[];
  output(): string;
  close(): Promise<void>;
}

/** The client registration for gateways at `gatewayUrls` (several replicas share it; the first gets back-channel logouts). */
export function testClient(gatewayUrls: string[], extra: Record<string, unknown> = {}) {
  return {
    client_id: CLIENT.id,
    client_secret: CLIENT.secret,
    redirect_uris: gatewayUrls.map((url) => `${url}/auth/oidc/callback`),
    post_logout_redirect_uris: gatewayUrls.map((url) => `${url}/graphql`),
    backchannel_logout_uri: `${gatewayUrls[0]}/auth/oidc/backchannel-logout`,
    backchannel_logout_session_required: true,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...extra,
  };
}

export async function startTestProvider(clients: Record<string, unknown>[]): Promise<TestProvider> {
  const dir = tempDir('fag-idp-');
  const jwks = await devSigningKeys();
  fs.writeFileSync(path.join(dir, 'jwks.json'), JSON.stringify(jwks), { mode: 0o600 });
  const port = await freePort();
  const proxy = await tokenProxy(port);
  const child: ChildProcess = spawn(process.execPath, [...TSX, 'scripts/idp.ts'], {
    cwd: ROOT,
    env: { ...process.env, IDP_PORT: String(port), IDP_ISSUER: proxy.url, IDP_CLIENTS: JSON.stringify(clients), IDP_JWKS_FILE: path.join(dir, 'jwks.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const close = async () => {
    child.kill('SIGKILL');
    await proxy.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`the provider exited:\n${output}`);
      const response = await fetch(`${proxy.url}/.well-known/openid-configuration`);
      if (response.status !== 200) throw new Error(`provider not up yet: ${response.status}`);
    }, { timeoutMs: 30_000 });
  } catch (error) {
    await close();
    throw error;
  }
  return { issuer: proxy.url, jwks, tamper: proxy.tamper, idTokens: proxy.idTokens, issuedTokens: proxy.issuedTokens, output: () => output, close };
}

/** A proxy to the provider that can rewrite the id_token of token responses. */
async function tokenProxy(targetPort: number) {
  let rewrite: ((idToken: string) => Promise<string>) | undefined;
  const idTokens: string[] = [];
  const issuedTokens: string[] = [];
  const server = http.createServer((req, res) => {
    const upstream = http.request({ host: '127.0.0.1', port: targetPort, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', async () => {
        let body = Buffer.concat(chunks);
        if (req.url?.startsWith('/token') && answer.statusCode === 200) {
          const json = JSON.parse(body.toString('utf8')) as { id_token?: string; access_token?: string; refresh_token?: string };
          if (json.id_token && rewrite) json.id_token = await rewrite(json.id_token);
          if (json.id_token) idTokens.push(json.id_token);
          for (const token of [json.id_token, json.access_token, json.refresh_token]) if (token) issuedTokens.push(token);
          body = Buffer.from(JSON.stringify(json));
        }
        const headers = { ...answer.headers, 'content-length': String(body.length) };
        res.writeHead(answer.statusCode ?? 502, headers).end(body);
      });
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    idTokens,
    issuedTokens,
    tamper: (next: typeof rewrite) => {
      rewrite = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A token signed with the provider's own key: `claims` on top of `base`'s, so only what a test changes differs. */
export async function signAsProvider(provider: TestProvider, base: string, claims: JWTPayload, alg = 'RS256'): Promise<string> {
  const jwk = provider.jwks.keys.find((key) => key.alg === alg)!;
  return new SignJWT({ ...decodeJwt(base), ...claims })
    .setProtectedHeader({ alg, kid: jwk.kid, typ: 'JWT' })
    .sign(await importJWK(jwk, alg));
}

/** A signed logout token from the provider (Back-Channel Logout 1.0), with `overrides` on top of a valid one. */
export async function logoutToken(provider: TestProvider, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const jwk = provider.jwks.keys.find((key) => key.alg === 'RS256')!;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: provider.issuer,
    aud: CLIENT.id,
    iat: now,
    exp: now + 120,
    jti: `jti-${Math.random().toString(36).slice(2)}`,
    events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'logout+jwt', ...header })
    .sign(await importJWK(jwk, 'RS256'));
}

/** A browser without a browser: cookies per origin, redirects followed by hand, every URL visited kept. */
export class CookieBrowser {
  private readonly jars = new Map<string, Map<string, string>>();
  readonly visited: string[] = [];

  cookie(origin: string, name: string): string | undefined {
    return this.jars.get(origin)?.get(name);
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const { origin } = new URL(url);
    this.visited.push(url);
    const jar = this.jars.get(origin) ?? new Map<string, string>();
    this.jars.set(origin, jar);
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) } });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line) || /max-age=0/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  }

  /** GETs `url` and follows redirects until a page that is not one (or until `stopAt` matches the next URL). */
  async follow(url: string, stopAt?: (next: URL) => boolean): Promise<{ response: Response; url: string }> {
    let current = url;
    for (let hops = 0; hops < 20; hops++) {
      const response = await this.request(current);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { response, url: current };
      const next = new URL(location, current);
      if (stopAt?.(next)) return { response, url: next.href };
      current = next.href;
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /**
   * Signs in at the gateway through the provider's own login page, as `username`. Stops before the gateway's
   * callback when `callback: false` (returns its URL), else returns where the gateway sent the browser.
   */
  async signIn(gatewayUrl: string, username: string, password: string, options: { returnTo?: string; callback?: boolean } = {}): Promise<{ callbackUrl: string; landed?: Response; landedUrl?: string }> {
    const start = `${gatewayUrl}/auth/oidc/login${options.returnTo ? `?return_to=${encodeURIComponent(options.returnTo)}` : ''}`;
    const isCallback = (next: URL) => next.href.startsWith(`${gatewayUrl}/auth/oidc/callback`);
    const atLogin = await this.follow(start, isCallback);
    const uid = /\/interaction\/([^/]+)\/login/.exec(await atLogin.response.text())?.[1];
    if (!uid) throw new Error(`no login form at ${atLogin.url} (${atLogin.response.status})`);
    const form = await this.request(`${new URL(atLogin.url).origin}/interaction/${uid}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username, password }).toString(),
    });
    const location = form.headers.get('location');
    if (!location) throw new Error(`the provider refused the login: ${form.status}`);
    const atCallback = await this.follow(new URL(location, atLogin.url).href, isCallback);
    if (!isCallback(new URL(atCallback.url))) throw new Error(`the provider did not send the browser back: ${atCallback.url}`);
    if (options.callback === false) return { callbackUrl: atCallback.url };
    const landed = await this.request(atCallback.url);
    return { callbackUrl: atCallback.url, landed, landedUrl: landed.headers.get('location') ?? undefined };
  }
}
