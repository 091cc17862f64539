/**
 * Signing in through a real OpenID Provider (oidc-provider, `npm run idp`, as
 * its own process), in every auth mode: the authorization code flow with
 * PKCE end to end, what each mode keeps where, RP-initiated and back-channel
 * logout (on a second replica too), and every hostile input refused with its
 * code — a bad state, a replayed code, a wrong PKCE verifier, an `iss`
 * mix-up, ID tokens that fail one check each (crafted with the provider's
 * own key, swapped in by a proxy in front of its token endpoint), an
 * off-site return_to, bad logout tokens — with no credential in any log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionData } from 'express-session';
import { decodeJwt } from 'jose';
import { freePort } from '../../scripts/lib/local.js';
import { loadGatewayConfig } from '../../shared/config/gateway.js';
import { openStore } from '../../shared/store/index.js';
import { openProviderTokens } from '../../shared/auth-modes/session/provider-tokens.js';
import type { RunningGateway } from '../../gateway/server.js';
import { eventually } from '../helpers/eventually.js';
import { Client, send } from '../helpers/http.js';
import { modeVariants } from '../helpers/modes.js';
import { CLIENT, CookieBrowser, logoutToken, signAsProvider, startTestProvider, testClient, type TestProvider } from '../helpers/oidc.js';
import { ROOT, startStack, TSX, type Stack } from '../helpers/stack.js';

const JWT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/;

describe.each(modeVariants())('sign-in through an OpenID Provider, $name mode', (variant) => {
  let provider: TestProvider;
  let stack: Stack;
  let replica: RunningGateway;
  const secrets: string[] = [];

  beforeAll(async () => {
    const gatewayPort = await freePort();
    const replicaPort = await freePort();
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    provider = await startTestProvider([testClient([gatewayUrl, `http://127.0.0.1:${replicaPort}`])]);
    stack = await startStack({
      mode: variant.mode,
      gatewayPort,
      logs: true,
      env: {
        ...variant.env,
        SESSION_SECRET: 'replicas-share-this-secret-0123456789',
        OIDC_ISSUER: provider.issuer,
        OIDC_CLIENT_ID: CLIENT.id,
        OIDC_CLIENT_SECRET: CLIENT.secret,
        OIDC_SCOPES_CLAIM: 'roles',
        OIDC_PROVIDER_NAME: 'Test IdP',
      },
    });
    // The replica names the provider with a trailing "/", as Auth0 writes its issuers: discovery accepts it,
    // and the issuer the provider's responses and logout tokens carry (without it) must still match.
    replica = await stack.startReplica({ PORT: String(replicaPort), PUBLIC_URL: `http://127.0.0.1:${replicaPort}`, OIDC_ISSUER: `${provider.issuer}/` });
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await provider?.close();
  });

  /** A signed-in client of the gateway: the session cookie, or the tokens the ticket gave. */
  async function signedIn(username = 'alice', password = 'wonderland', url = stack.gatewayUrl) {
    const browser = new CookieBrowser();
    const { landed, landedUrl } = await browser.signIn(url, username, password);
    expect(landed!.status).toBe(303);
    const client = new Client(url);
    if (variant.mode === 'session') {
      client.cookie = `fedgw.sid=${browser.cookie(url, 'fedgw.sid')}`;
    } else {
      const ticket = await browser.request(`${url}/auth/oidc/ticket`, { method: 'POST' });
      expect(ticket.status).toBe(200);
      const tokens = (await ticket.json()) as Record<string, string>;
      client.token = tokens.access_token;
      secrets.push(tokens.access_token, tokens.refresh_token);
    }
    return { browser, client, landedUrl };
  }

  it('signs alice in: back at return_to, the provider\'s sub is her identity, her mapped scopes work', async () => {
    const { client, landedUrl, browser } = await signedIn();
    expect(landedUrl).toBe('/graphql');
    expect((await client.query('{ me { id } }')).body.data?.me).toEqual({ id: 'u1' });
    // @requiresScopes on the scopes mapped from the provider's `roles` claim.
    expect((await client.query('{ users { id } }')).body.data?.users).toHaveLength(2);
    // No token or code of ours in any URL the browser visited (the callback's code is the provider's, used once).
    for (const url of browser.visited) {
      expect(url).not.toMatch(JWT);
      if (client.token) expect(url).not.toContain(client.token);
    }
  });

  it('maps bob without the admin scope: @requiresScopes refuses him', async () => {
    const { client } = await signedIn('bob', 'builder');
    expect((await client.query('{ me { id } }')).body.data?.me).toEqual({ id: 'u2' });
    const answer = await client.query('{ users { id } }');
    expect(answer.body.data).toBeNull();
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
  });

  if (variant.mode === 'token') {
    it('hands the tokens over once, through a one-time ticket, never in a URL', async () => {
      const browser = new CookieBrowser();
      await browser.signIn(stack.gatewayUrl, 'alice', 'wonderland');
      expect(browser.cookie(stack.gatewayUrl, 'fedgw.ticket')).toBeDefined();
      const cookie = `fedgw.ticket=${browser.cookie(stack.gatewayUrl, 'fedgw.ticket')}`;
      const first = await send(`${stack.gatewayUrl}/auth/oidc/ticket`, { method: 'POST', headers: { cookie } });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String), refresh_token: expect.any(String) });
      expect(first.headers.get('cache-control')).toBe('no-store');
      const again = await send(`${stack.gatewayUrl}/auth/oidc/ticket`, { method: 'POST', headers: { cookie } });
      expect(again.status).toBe(400);
      expect(again.code).toBe('TICKET_INVALID');
      expect((await send(`${stack.gatewayUrl}/auth/oidc/ticket`, { method: 'POST' })).code).toBe('TICKET_INVALID');
    });
  } else {
    it('keeps the provider\'s tokens on the server: the browser holds only the session cookie', async () => {
      const browser = new CookieBrowser();
      const { landed } = await browser.signIn(stack.gatewayUrl, 'alice', 'wonderland');
      const cookies = landed!.headers.getSetCookie().join('\n');
      expect(cookies).not.toMatch(JWT);
      expect(await landed!.text()).not.toMatch(JWT);
      expect(browser.cookie(stack.gatewayUrl, 'fedgw.sid')).toBeDefined();
      // The session in the store holds them; the session id is all the browser has.
      const sid = decodeURIComponent(browser.cookie(stack.gatewayUrl, 'fedgw.sid')!).slice(2).split('.')[0];
      const store = await openStore(loadGatewayConfig(stack.env).store);
      try {
        // A Redis store connects in the background.
        const session = await eventually(() => new Promise<SessionData | null | undefined>((resolve, reject) => store.sessions.get(sid, (error, found) => (error ? reject(error) : resolve(found)))));
        // Sealed with SESSION_SECRET: a subgraph reading the same record sees no token; the gateway can open them.
        expect(JSON.stringify(session)).not.toMatch(JWT);
        expect(openProviderTokens(session!.provider!.sealedTokens, stack.env.SESSION_SECRET!)?.idToken).toMatch(JWT);
        expect(openProviderTokens(session!.provider!.sealedTokens, 'another-secret-of-at-least-32-characters')).toBeUndefined();
        expect(session?.provider?.sub).toBe('u1');
      } finally {
        await store.close();
      }
    });
  }

  it('logs out here and answers where to end the provider\'s session, with no token in that URL', async () => {
    const { client } = await signedIn();
    const answer = await send(`${stack.gatewayUrl}/auth/logout`, { method: 'POST', headers: client.credentialHeaders() });
    expect(answer.status).toBe(200);
    const url = new URL(answer.body.end_session_url);
    expect(url.href.startsWith(provider.issuer)).toBe(true);
    expect(url.searchParams.get('client_id')).toBe(CLIENT.id);
    expect(url.href).not.toMatch(JWT);
    const after = await client.query('{ me { id } }');
    expect(after.body.data?.me ?? null).toBeNull();
  });

  it('a back-channel logout from the provider ends the sign-in on every replica', async () => {
    const { client, browser } = await signedIn();
    const other = new Client(replica.url);
    other.cookie = client.cookie;
    other.token = client.token;
    expect((await other.query('{ me { id } }')).body.data?.me).toEqual({ id: 'u1' });
    // Sign out at the provider itself (its own page): it posts a logout token to the gateway (the first replica).
    const endSession = await browser.follow(`${provider.issuer}/session/end?client_id=${CLIENT.id}`);
    const page = await endSession.response.text();
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)?.[1];
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
    expect(xsrf && action).toBeTruthy();
    const confirmed = await browser.request(new URL(action!, provider.issuer).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }).toString(),
    });
    expect(confirmed.status).toBeLessThan(400);
    await eventually(async () => {
      const answer = await other.query('{ me { id } }');
      if (variant.mode === 'token') expect(answer.body.errors?.[0]?.extensions?.code, provider.output().slice(-3000)).toBe('TOKEN_REVOKED');
      else expect(answer.body.data?.me, provider.output().slice(-3000)).toBeNull();
    });
  });

  it('signs in and takes logout tokens at a replica whose OIDC_ISSUER ends with "/"', async () => {
    const { client, browser } = await signedIn('alice', 'wonderland', replica.url);
    expect(browser.visited.some((url) => url.includes('iss='))).toBe(true);
    expect((await client.query('{ me { id } }')).body.data?.me).toEqual({ id: 'u1' });
    const answer = await send(`${replica.url}/auth/oidc/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: await logoutToken(provider, { sub: 'u1' }) }).toString(),
    });
    expect(answer.status).toBe(200);
    await eventually(async () => {
      const after = await client.query('{ me { id } }');
      if (variant.mode === 'token') expect(after.body.errors?.[0]?.extensions?.code).toBe('TOKEN_REVOKED');
      else expect(after.body.data?.me).toBeNull();
    });
  });

  if (variant.mode === 'token') {
    it('a back-channel logout ends the sign-in\'s refresh token too: invalid_grant', async () => {
      const browser = new CookieBrowser();
      await browser.signIn(stack.gatewayUrl, 'bob', 'builder');
      const ticket = await browser.request(`${stack.gatewayUrl}/auth/oidc/ticket`, { method: 'POST' });
      const tokens = (await ticket.json()) as Record<string, string>;
      secrets.push(tokens.access_token, tokens.refresh_token);
      const ended = await send(`${stack.gatewayUrl}/auth/oidc/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: await logoutToken(provider, { sub: 'u2' }) }).toString(),
      });
      expect(ended.status).toBe(200);
      const refreshed = await send(`${stack.gatewayUrl}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }).toString(),
      });
      expect(refreshed.status).toBe(400);
      expect(refreshed.body).toMatchObject({ error: 'invalid_grant' });
    });
  }

  describe('hostile inputs', () => {
    it('a callback with a wrong or missing state, or from another browser: OIDC_STATE_INVALID', async () => {
      const browser = new CookieBrowser();
      const { callbackUrl } = await browser.signIn(stack.gatewayUrl, 'alice', 'wonderland', { callback: false });
      const wrong = new URL(callbackUrl);
      wrong.searchParams.set('state', 'not-the-state');
      const missing = new URL(callbackUrl);
      missing.searchParams.delete('state');
      for (const url of [wrong.href, missing.href]) {
        const answer = await browser.request(url);
        expect(answer.status).toBe(400);
        expect(((await answer.json()) as any).error.code).toBe('OIDC_STATE_INVALID');
      }
      // The right callback in another browser (an attacker's code in a victim's browser): refused too.
      const elsewhere = await send(callbackUrl);
      expect(elsewhere.code).toBe('OIDC_STATE_INVALID');
    });

    it('a replayed authorization code, and a code with another sign-in\'s PKCE verifier: OIDC_GRANT_REJECTED', async () => {
      const first = new CookieBrowser();
      const { callbackUrl, landed } = await first.signIn(stack.gatewayUrl, 'alice', 'wonderland');
      expect(landed!.status).toBe(303);
      const code = new URL(callbackUrl).searchParams.get('code')!;
      // A new sign-in in progress (its own state and verifier), handed the used code.
      const second = new CookieBrowser();
      const pending = await second.signIn(stack.gatewayUrl, 'alice', 'wonderland', { callback: false });
      const replay = new URL(pending.callbackUrl);
      replay.searchParams.set('code', code);
      const replayed = await second.request(replay.href);
      expect(((await replayed.json()) as any).error.code).toBe('OIDC_GRANT_REJECTED');
      // A fresh, unused code, but presented with another sign-in's state (so another PKCE verifier).
      const victim = new CookieBrowser();
      const fresh = await victim.signIn(stack.gatewayUrl, 'alice', 'wonderland', { callback: false });
      const attacker = new CookieBrowser();
      const theirs = await attacker.signIn(stack.gatewayUrl, 'bob', 'builder', { callback: false });
      const swapped = new URL(theirs.callbackUrl);
      swapped.searchParams.set('code', new URL(fresh.callbackUrl).searchParams.get('code')!);
      const mismatched = await attacker.request(swapped.href);
      expect(((await mismatched.json()) as any).error.code).toBe('OIDC_GRANT_REJECTED');
    });

    it('an iss parameter naming another issuer (a mix-up): OIDC_ISSUER_MISMATCH', async () => {
      const browser = new CookieBrowser();
      const { callbackUrl } = await browser.signIn(stack.gatewayUrl, 'alice', 'wonderland', { callback: false });
      const url = new URL(callbackUrl);
      url.searchParams.set('iss', 'https://evil.example');
      const answer = await browser.request(url.href);
      expect(((await answer.json()) as any).error.code).toBe('OIDC_ISSUER_MISMATCH');
    });

    it('ID tokens that fail one check each: alg none, another issuer, another client, expired, a replayed nonce', async () => {
      const previous = provider.idTokens.at(-1)!;
      const now = Math.floor(Date.now() / 1000);
      const cases: [string, (idToken: string) => Promise<string>][] = [
        ['alg none', async (idToken) => `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${idToken.split('.')[1]}.`],
        ['another issuer', (idToken) => signAsProvider(provider, idToken, { iss: 'https://other-issuer.example' })],
        ['another client', (idToken) => signAsProvider(provider, idToken, { aud: 'some-other-client' })],
        ['expired', (idToken) => signAsProvider(provider, idToken, { iat: now - 7200, exp: now - 3600 })],
        ['a replayed nonce', (idToken) => signAsProvider(provider, idToken, { nonce: decodeJwt(previous).nonce })],
        ['a forged signature', async (idToken) => (await signAsProvider(provider, idToken, {})).replace(/\.[^.]+$/, `.${Buffer.alloc(256).toString('base64url')}`)],
      ];
      try {
        for (const [name, rewrite] of cases) {
          provider.tamper(rewrite);
          const browser = new CookieBrowser();
          const { landed } = await browser.signIn(stack.gatewayUrl, 'alice', 'wonderland');
          expect(landed!.status, name).toBe(400);
          expect(((await landed!.json()) as any).error.code, name).toBe('OIDC_ID_TOKEN_INVALID');
        }
      } finally {
        provider.tamper(undefined);
      }
      // And a normal sign-in still works after all that.
      const { client } = await signedIn();
      expect((await client.query('{ me { id } }')).body.data?.me).toEqual({ id: 'u1' });
    });

    it('return_to pointing off-site: RETURN_TO_INVALID, and no redirect to the provider', async () => {
      for (const returnTo of ['//evil.example', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', '/\r\nLocation:x', 'graphql']) {
        const answer = await send(`${stack.gatewayUrl}/auth/oidc/login?return_to=${encodeURIComponent(returnTo)}`, { redirect: 'manual' });
        expect(answer.status, returnTo).toBe(400);
        expect(answer.code, returnTo).toBe('RETURN_TO_INVALID');
      }
      const fine = await fetch(`${stack.gatewayUrl}/auth/oidc/login?return_to=${encodeURIComponent('/graphql?x=1')}`, { redirect: 'manual' });
      expect(fine.status).toBe(303);
      expect(fine.headers.get('location')!.startsWith(provider.issuer)).toBe(true);
    });

    it('logout tokens: unsigned, for another audience or issuer, expired, with a nonce, without the event, replayed: 400 invalid_request', async () => {
      const post = (token: string) =>
        send(`${stack.gatewayUrl}/auth/oidc/backchannel-logout`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ logout_token: token }).toString(),
        });
      const valid = await logoutToken(provider, { sub: 'nobody-signed-in' });
      const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${valid.split('.')[1]}.`;
      const cases: [string, string][] = [
        ['unsigned', unsigned],
        ['another audience', await logoutToken(provider, { sub: 'x', aud: 'another-client' })],
        ['with a nonce', await logoutToken(provider, { sub: 'x', nonce: 'n' })],
        ['without the event', await logoutToken(provider, { sub: 'x', events: {} })],
        ['neither sid nor sub', await logoutToken(provider, {})],
        ['from another issuer', await logoutToken(provider, { sub: 'x', iss: 'https://other-issuer.example' })],
        ['expired', await logoutToken(provider, { sub: 'x', iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 })],
      ];
      for (const [name, token] of cases) {
        const answer = await post(token);
        expect(answer.status, name).toBe(400);
        expect(answer.body, name).toMatchObject({ error: 'invalid_request' });
      }
      expect((await post(valid)).status).toBe(200);
      const replayed = await post(valid);
      expect(replayed.status).toBe(400);
      expect(replayed.body.error_description).toMatch(/already used/);
    });
  });

  it('wrote no credential into any log line', () => {
    const text = stack.logs.raw.join('');
    expect(stack.logs.raw.length).toBeGreaterThan(10);
    for (const secret of [...secrets, ...provider.issuedTokens, CLIENT.secret, 'wonderland']) {
      expect(text.includes(secret), `a log line holds a secret (${secret.slice(0, 6)}…)`).toBe(false);
    }
    expect(text).not.toMatch(JWT);
  });
});

describe("`npm run idp` as the README starts it, and the README's OIDC_* settings", () => {
  let idp: ChildProcess;
  let stack: Stack;
  let url = '';
  let output = '';

  beforeAll(async () => {
    const [idpPort, gatewayPort] = [await freePort(), await freePort()];
    url = `http://localhost:${gatewayPort}`;
    // Only what differs from the README: free ports instead of 4080 and 4000.
    idp = spawn(process.execPath, [...TSX, 'scripts/idp.ts'], {
      cwd: ROOT,
      env: { ...process.env, IDP_PORT: String(idpPort), IDP_GATEWAY_URL: `http://localhost:${gatewayPort}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    idp.stdout!.on('data', (chunk) => (output += chunk));
    idp.stderr!.on('data', (chunk) => (output += chunk));
    await eventually(async () => expect((await fetch(`http://localhost:${idpPort}/.well-known/openid-configuration`)).status).toBe(200), { timeoutMs: 30_000 });
    stack = await startStack({
      mode: 'token',
      gatewayPort,
      env: {
        PUBLIC_URL: `http://localhost:${gatewayPort}`,
        OIDC_ISSUER: `http://localhost:${idpPort}`,
        OIDC_CLIENT_ID: 'fedgw',
        OIDC_CLIENT_SECRET: 'fedgw-development-secret',
        OIDC_SCOPES_CLAIM: 'roles',
      },
    });
  }, 60_000);
  afterAll(async () => {
    idp?.kill('SIGKILL');
    await stack?.close();
  });

  it('signs alice in with the client it registers by default; her roles are her scopes', async () => {
    const browser = new CookieBrowser();
    const { landed } = await browser.signIn(url, 'alice', 'wonderland');
    expect(landed!.status, output).toBe(303);
    const ticket = await browser.request(`${url}/auth/oidc/ticket`, { method: 'POST' });
    const client = new Client(stack.gatewayUrl);
    client.token = ((await ticket.json()) as Record<string, string>).access_token;
    expect((await client.query('{ me { id } users { id } }')).body.data).toMatchObject({ me: { id: 'u1' }, users: [{}, {}] });
  });
});
