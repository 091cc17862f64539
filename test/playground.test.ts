/**
 * The gateway's own GraphQL playground. HTTP-level checks (routing, config,
 * headers) run everywhere; the browser suite drives Debian's Chromium through
 * playwright-core (never a downloaded browser) once per auth-mode variant:
 * it loads the page, logs in as alice, runs a query that needs her identity
 * in two subgraphs, reads the answer from the page, logs out and sees the
 * anonymous answer; it runs alice's and bob's deep query and reads the
 * "How identity travelled" panel. Without /usr/bin/chromium the browser
 * suite skips with a printed reason locally; with CI=true it runs and fails.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@fedgw/subgraph-kit';
import { loadGatewayConfig } from '../shared/config/gateway.js';
import { mintAccessToken } from '../shared/auth-modes/token/access-token.js';
import { buildPlayground } from '../gateway/playground/build.js';
import { loadSigningKeys } from '../gateway/auth/signing-keys.js';
import { IN_CI, modeVariants } from './helpers/modes.js';
import { startStack, type Stack } from './helpers/stack.js';
import { CLIENT, startTestProvider, testClient, type TestProvider } from './helpers/oidc.js';
import { freePort } from '../scripts/lib/local.js';
import { DEEP_QUERY } from '../subgraphs/demo.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const ARTIFACTS = path.resolve('test-artifacts');
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
/** `me` is resolved by the accounts subgraph, `orders` by the orders subgraph: both need alice's identity. */
const TWO_SUBGRAPH_FIELDS = 'me { name orders { id } }';
/** The demo's deep query (all four subgraphs), without its outer braces: PlaygroundPage.run adds its own. */
const DEEP_FIELDS = DEEP_QUERY.trim().slice(1, -1);

const hasChromium = fs.existsSync(CHROMIUM);
/** Browser tests: skipped locally without Chromium, never skipped in CI. */
const inBrowser = (name: string, fn: () => Promise<void>) => it.skipIf(!hasChromium && !IN_CI)(name, fn, 60_000);
if (!hasChromium) {
  if (IN_CI) console.error(`${CHROMIUM} is missing: with CI=true the browser tests run anyway and fail (.ci/run installs it).`);
  else console.warn(`skipping the playground browser tests: ${CHROMIUM} is missing (apt-get install -y chromium)`);
}

beforeAll(async () => {
  // The bundle is normally built by npm install/start/test; a direct vitest run builds it here.
  await buildPlayground();
}, 120_000);

describe('playground over HTTP', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('serves the page to a browser on GET /graphql, with a policy that allows only the gateway itself', async () => {
    const response = await fetch(`${stack.gatewayUrl}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await response.text();
    expect(html).toContain('<meta name="gateway-auth-mode" content="token">');
    // Every script and stylesheet is a same-origin path: no CDN.
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(source).toMatch(/^(\/(?!\/)|data:)/);
  });

  it('redirects GET / to the playground', async () => {
    const response = await fetch(`${stack.gatewayUrl}/`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/graphql');
  });

  it('serves the bundle and its workers, and answers a missing asset with a JSON 404', async () => {
    for (const asset of ['main.js', 'main.css', 'editor.worker.js', 'graphql.worker.js', 'json.worker.js']) {
      const response = await fetch(`${stack.gatewayUrl}/playground/${asset}`);
      expect(response.status, asset).toBe(200);
      await response.arrayBuffer();
    }
    const missing = await fetch(`${stack.gatewayUrl}/playground/nope.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as any).error.code).toBe('NOT_FOUND');
    // The build stamp is a dotfile: not served.
    expect((await fetch(`${stack.gatewayUrl}/playground/.stamp`)).status).toBe(404);
  });

  it('leaves GraphQL clients to Apollo Server: GET with JSON accept, POST, and CSRF prevention', async () => {
    const get = await fetch(`${stack.gatewayUrl}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(200);
    expect(((await get.json()) as any).data).toEqual({ __typename: 'Query' });
    // A "simple" cross-site request (no preflight) is refused: CSRF prevention is on.
    const simple = await fetch(`${stack.gatewayUrl}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json' },
    });
    expect(simple.status).toBe(400);
    const textPlain = await fetch(`${stack.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(textPlain.status).toBe(400);
  });
});

describe('playground configuration', () => {
  it('is on by default, off by default in production, and PLAYGROUND=true turns it back on', () => {
    expect(loadGatewayConfig({}).playground).toBe(true);
    expect(loadGatewayConfig({ NODE_ENV: 'production' }).playground).toBe(false);
    expect(loadGatewayConfig({ NODE_ENV: 'production', PLAYGROUND: 'true' }).playground).toBe(true);
    expect(loadGatewayConfig({ PLAYGROUND: 'false' }).playground).toBe(false);
  });

  it('refuses a PLAYGROUND value other than true or false, naming the variable', () => {
    let error: unknown;
    try {
      loadGatewayConfig({ PLAYGROUND: 'yes' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('PLAYGROUND');
  });

  it('when off, serves neither the playground nor Apollo\'s CDN landing page', async () => {
    const stack = await startStack({ env: { PLAYGROUND: 'false' } });
    try {
      const page = await fetch(`${stack.gatewayUrl}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
      expect(page.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
      await page.arrayBuffer();
      const root = await fetch(`${stack.gatewayUrl}/`, { redirect: 'manual' });
      expect(root.status).toBe(404);
      await root.arrayBuffer();
      // GraphQL itself still answers.
      const result = await stack.client().query('{ __typename }');
      expect(result.body.data).toEqual({ __typename: 'Query' });
    } finally {
      await stack.close();
    }
  });
});

/** The playground in a real browser: the page, its login panel and GraphiQL's editors. */
class PlaygroundPage {
  readonly requests: Request[] = [];

  constructor(
    readonly page: Page,
    readonly context: BrowserContext,
  ) {
    context.on('request', (request) => this.requests.push(request));
  }

  status() {
    return this.page.getByTestId('auth-status');
  }

  async open(baseUrl: string) {
    await this.page.goto(`${baseUrl}/`);
    // GraphiQL is up when its query editor has rendered.
    await this.page.locator('.graphiql-query-editor .monaco-editor').first().waitFor();
  }

  async fillLogin(username: string, password: string) {
    await this.page.getByLabel('Username').fill(username);
    await this.page.getByLabel('Password').fill(password);
    const answered = this.page.waitForResponse((response) => response.url().endsWith('/auth/login'));
    await this.page.getByRole('button', { name: 'Log in' }).click();
    await answered;
  }

  async login(username: string, password: string) {
    await this.fillLogin(username, password);
    await this.status().and(this.page.locator('[data-state="logged-in"]')).waitFor();
  }

  async logout() {
    await this.page.getByRole('button', { name: 'Log out' }).click();
    await this.status().and(this.page.locator('[data-state="logged-out"]')).waitFor();
  }

  private runs = 0;

  /**
   * Puts `{ <fields> }` into GraphiQL's operation editor, runs it and reads
   * the JSON shown in the result pane. A numbered `__typename` alias makes
   * each run's answer tell itself apart from the one shown before.
   */
  async run(fields: string): Promise<{ data?: any; errors?: unknown[] }> {
    const marker = `run${++this.runs}`;
    const query = `{ ${marker}: __typename ${fields} }`;
    const editor = this.page.locator('.graphiql-query-editor .monaco-editor').first();
    await editor.click();
    // Pasted, not typed: typing would let the editor auto-close every "{".
    await this.page.evaluate((text) => navigator.clipboard.writeText(text), query);
    await this.page.keyboard.press('ControlOrMeta+A');
    await this.page.keyboard.press('ControlOrMeta+V');
    const sent = this.page.waitForRequest((request) => request.url().endsWith('/graphql') && request.method() === 'POST' && request.postData()?.includes('orders') === true);
    await this.page.locator('.graphiql-execute-button').click();
    await sent;
    let shown: any;
    await expect
      .poll(
        async () => {
          shown = parseJson(await this.resultText());
          return shown?.data?.[marker] ?? null;
        },
        { timeout: 15_000 },
      )
      .toBe('Query');
    if (shown.data) delete shown.data[marker];
    return shown;
  }

  /**
   * The result pane's text, copied the way a person would (select all, copy):
   * the editor renders only the lines in view, so its DOM may hold part of it.
   */
  async resultText(): Promise<string> {
    await this.page.evaluate(() => navigator.clipboard.writeText(''));
    await this.page.locator('.graphiql-response .monaco-editor').first().click();
    await this.page.keyboard.press('ControlOrMeta+A');
    await this.page.keyboard.press('ControlOrMeta+C');
    return (await this.page.evaluate(() => navigator.clipboard.readText())).trim();
  }

  /** The POST /graphql requests GraphiQL sent for the query (not introspection, not the panel's who-am-I). */
  queryRequests(): Request[] {
    return this.requests.filter(
      (request) => request.method() === 'POST' && request.url().endsWith('/graphql') && request.postData()?.includes('orders') === true,
    );
  }
}

function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

describe.each(modeVariants())('playground in Chromium, $name mode', (variant) => {
  const slug = variant.name.replace(/[^a-z0-9]+/gi, '-').replace(/-$/, '');
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    if (!hasChromium && !IN_CI) return;
    stack = await startStack({ mode: variant.mode, env: variant.env });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  async function openPlayground(): Promise<PlaygroundPage> {
    // A fresh context per test: no cookies, no storage from another test.
    const context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.gatewayUrl });
    // A stuck step fails with its own name, well before the test's timeout.
    context.setDefaultTimeout(15_000);
    const playground = new PlaygroundPage(await context.newPage(), context);
    await playground.open(stack.gatewayUrl);
    return playground;
  }

  inBrowser('logs alice in, queries two subgraphs as her, logs out and queries anonymously', async () => {
    const playground = await openPlayground();
    const { page } = playground;
    try {
      expect(new URL(page.url()).pathname).toBe('/graphql');
      await expect.poll(() => page.getByTestId('auth-mode').textContent()).toBe(variant.mode);
      expect(await playground.status().getAttribute('data-state')).toBe('logged-out');

      // A wrong password is an inline error with the gateway's code; the page stays logged out.
      await playground.fillLogin('alice', 'not-her-password');
      expect(await page.getByTestId('login-error').getAttribute('data-code')).toBe('INVALID_CREDENTIALS');
      expect(await playground.status().getAttribute('data-state')).toBe('logged-out');

      await playground.login('alice', 'wonderland');
      expect(await page.getByTestId('auth-user').textContent()).toBe('alice');
      expect(await page.getByTestId('auth-scopes').textContent()).toBe('admin');

      const asAlice = await playground.run(TWO_SUBGRAPH_FIELDS);
      expect(asAlice.errors).toBeUndefined();
      expect(asAlice.data).toEqual({ me: { name: 'Alice Liddell', orders: [{ id: 'o1' }] } });
      await page.getByTestId('auth-status').click(); // focus off the result pane's selection
      await page.screenshot({ path: path.join(ARTIFACTS, `playground-${slug}.png`) });

      // The credential travelled the way this mode carries it.
      const sent = await playground.queryRequests().at(-1)!.allHeaders();
      if (variant.mode === 'token') expect(sent.authorization).toMatch(/^Bearer /);
      else expect(sent.cookie ?? '').toMatch(/=/);

      await playground.logout();
      const anonymous = await playground.run(TWO_SUBGRAPH_FIELDS);
      expect(anonymous.data).toEqual({ me: null });
      const afterLogout = await playground.queryRequests().at(-1)!.allHeaders();
      expect(afterLogout.authorization).toBeUndefined();

      // Nothing came from outside the gateway: no CDN, no fonts, no telemetry.
      const origins = new Set(playground.requests.map((request) => new URL(request.url()).origin));
      expect([...origins]).toEqual([stack.gatewayUrl]);
    } finally {
      await playground.context.close();
    }
  });

  inBrowser('shows how identity travelled: every subgraph hop with what carried the caller, and bob\'s withheld Product.cost', async () => {
    const playground = await openPlayground();
    const { page, context } = playground;
    const panel = page.getByTestId('trace-panel');
    try {
      expect(await panel.getAttribute('data-state')).toBe('idle');
      await playground.login('alice', 'wonderland');
      const asAlice = await playground.run(DEEP_FIELDS);
      expect(asAlice.errors).toBeUndefined();
      // The trace is drawn in the panel, not shown in the answer; authCost stays there.
      expect(asAlice).toHaveProperty('extensions.authCost');
      expect(asAlice).not.toHaveProperty('extensions.authTrace');
      await page.locator('[data-testid="trace-panel"][data-state="traced"]').waitFor();

      const hops = panel.getByTestId('trace-hop');
      const subgraphs = await hops.evaluateAll((items) => items.map((item) => item.getAttribute('data-subgraph')));
      expect(new Set(subgraphs)).toEqual(new Set(['accounts', 'orders', 'products', 'reviews']));
      expect(subgraphs).toHaveLength(5);
      for (const name of ['accounts', 'orders', 'products', 'reviews']) expect(await panel.textContent()).toContain(`gateway → ${name}`);
      if (variant.mode === 'token') {
        // alice's id and scopes, as each subgraph's identity token says.
        expect(await panel.getByTestId('claim-sub').allTextContents()).toEqual(Array(5).fill('sub u1'));
        expect(await panel.getByTestId('claim-scope').allTextContents()).toEqual(Array(5).fill('scope admin'));
        expect(await panel.getByTestId('claim-aud').allTextContents()).toEqual(subgraphs.map((name) => `aud ${name}`));
        expect(await panel.getByTestId('trace-session').count()).toBe(0);
      } else {
        // The hash of the session id in the browser's cookie, and the store read each subgraph made.
        const cookie = (await context.cookies(stack.gatewayUrl)).find((c) => c.name === 'fedgw.sid')!;
        const sid = decodeURIComponent(cookie.value).slice(2).split('.')[0];
        const hash = createHash('sha256').update(sid).digest('hex').slice(0, 12);
        expect(await panel.getByTestId('trace-session').allTextContents()).toEqual(Array(5).fill(hash));
        expect(await panel.getByTestId('trace-check').evaluateAll((items) => items.map((item) => item.getAttribute('data-store-reads')))).toEqual(Array(5).fill('1'));
        expect(await panel.getByTestId('trace-gateway-store-reads').textContent()).toContain('1 store read');
        expect(await panel.getByTestId('claim-sub').count()).toBe(0);
      }
      expect(await panel.getByTestId('trace-withheld-none').isVisible()).toBe(true);
      await page.screenshot({ path: path.join(ARTIFACTS, `playground-trace-${slug}.png`) });

      // The planner's own plan, in the second tab.
      await panel.getByTestId('trace-tab-plan').click();
      expect(await panel.getByTestId('trace-plan').textContent()).toContain('Fetch(service: "reviews")');
      await panel.getByTestId('trace-tab-identity').click();

      await playground.logout();
      await playground.login('bob', 'builder');
      const asBob = await playground.run(DEEP_FIELDS);
      expect(asBob.errors?.map((error: any) => error.extensions?.code)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
      const withheld = panel.locator('[data-testid="trace-withheld-row"][data-coordinate="Product.cost"]');
      await withheld.waitFor();
      expect(await withheld.textContent()).toBe('Product.cost@requiresScopesme.orders.0.items.0.product.cost');
      if (variant.mode === 'token') expect(new Set(await panel.getByTestId('claim-sub').allTextContents())).toEqual(new Set(['sub u2']));

      // Nothing came from outside the gateway.
      const origins = new Set(playground.requests.map((request) => new URL(request.url()).origin));
      expect([...origins]).toEqual([stack.gatewayUrl]);
    } finally {
      await context.close();
    }
  });

  inBrowser('offers schema docs and autocompletion from introspection', async () => {
    const playground = await openPlayground();
    const { page } = playground;
    try {
      await page.getByRole('button', { name: /documentation explorer/i }).click();
      await page.locator('.graphiql-doc-explorer').getByText('Root Types').waitFor();
      expect(await page.locator('.graphiql-doc-explorer').textContent()).toContain('query: Query');

      // Completion runs in the GraphQL web worker, from the gateway's own assets.
      await page.locator('.graphiql-query-editor .monaco-editor').first().click();
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.press('Delete');
      await page.keyboard.type('{ prod');
      await page.keyboard.press('Control+Space');
      const suggestions = page.locator('.suggest-widget .monaco-list-row');
      await suggestions.first().waitFor();
      expect((await suggestions.allTextContents()).some((row) => row.startsWith('products'))).toBe(true);
    } finally {
      await playground.context.close();
    }
  });

  if (variant.mode === 'token') {
    inBrowser('renews its access token by itself before it expires, and a logout revokes it', async () => {
      const playground = await openPlayground();
      const { page } = playground;
      try {
        await playground.login('alice', 'wonderland');
        const key = 'gateway-playground:credential';
        const first = await page.evaluate((k) => JSON.parse(sessionStorage.getItem(k)!), key);
        expect(first.refreshToken).toEqual(expect.any(String));
        // As if the tab had sat idle until a second before expiry: the page renews the token at once.
        await page.evaluate((k) => {
          const stored = JSON.parse(sessionStorage.getItem(k)!);
          sessionStorage.setItem(k, JSON.stringify({ ...stored, expiresAt: Date.now() + 1000 }));
        }, key);
        await page.reload();
        await expect
          .poll(async () => (await page.evaluate((k) => JSON.parse(sessionStorage.getItem(k) ?? 'null'), key))?.token, { timeout: 10_000 })
          .not.toBe(first.token);
        const renewed = await page.evaluate((k) => JSON.parse(sessionStorage.getItem(k)!), key);
        expect(renewed.refreshToken).not.toBe(first.refreshToken);
        expect(await playground.status().getAttribute('data-state')).toBe('logged-in');
        const asAlice = await playground.run(TWO_SUBGRAPH_FIELDS);
        expect(asAlice.data).toEqual({ me: { name: 'Alice Liddell', orders: [{ id: 'o1' }] } });
        expect(playground.requests.some((request) => new URL(request.url()).pathname === '/auth/token')).toBe(true);

        // Logging out revokes the renewed token at the gateway, not only in the tab.
        await playground.logout();
        const held = await fetch(`${stack.gatewayUrl}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${renewed.token}` },
          body: JSON.stringify({ query: '{ me { id } }' }),
        });
        expect(held.status).toBe(401);
        expect(((await held.json()) as any).errors[0].extensions.code).toBe('TOKEN_REVOKED');
      } finally {
        await playground.context.close();
      }
    });
  }

  inBrowser('shows "logged out", not a raw error, when the gateway stops accepting the credential', async () => {
    const playground = await openPlayground();
    const { page, context } = playground;
    try {
      await playground.login('alice', 'wonderland');
      if (variant.mode === 'token') {
        // Swap in an access token the gateway signed but which has expired, as if the tab had sat idle.
        const keys = await loadSigningKeys(stack.env.GATEWAY_KEYS_DIR);
        const expired = await mintAccessToken(keys.current, { kind: 'user', id: 'u1', scopes: ['admin'] }, { issuer: stack.env.GATEWAY_ISSUER, ttlSeconds: -60 });
        await page.evaluate((token) => {
          const key = 'gateway-playground:credential';
          const stored = JSON.parse(sessionStorage.getItem(key)!);
          sessionStorage.setItem(key, JSON.stringify({ ...stored, token }));
        }, expired);
        await page.reload();
      } else {
        // End the session on the server, from elsewhere, with the browser's own cookie.
        const cookie = (await context.cookies(stack.gatewayUrl)).map((c) => `${c.name}=${c.value}`).join('; ');
        const logout = await fetch(`${stack.gatewayUrl}/auth/logout`, { method: 'POST', headers: { cookie } });
        expect(logout.status).toBe(204);
        await playground.run(TWO_SUBGRAPH_FIELDS);
      }
      await playground.status().and(page.locator('[data-state="logged-out"]')).waitFor();
      expect(await playground.status().getAttribute('data-reason')).toBe(variant.mode === 'token' ? 'TOKEN_EXPIRED' : 'SESSION_ENDED');
      expect(await page.getByTestId('auth-notice').isVisible()).toBe(true);
      await expect.poll(() => page.getByRole('button', { name: 'Log in' }).isVisible()).toBe(true);

      const anonymous = await playground.run(TWO_SUBGRAPH_FIELDS);
      expect(anonymous.data).toEqual({ me: null });
    } finally {
      await context.close();
    }
  });
});

/** Something shaped like a JWT: what must never be in a URL the browser visits (token mode), nor in its hands (session mode). */
const JWT_PATTERN = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/;

describe.each(modeVariants())('sign-in through the identity provider in Chromium, $name mode', (variant) => {
  let provider: TestProvider;
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    if (!hasChromium && !IN_CI) return;
    const gatewayPort = await freePort();
    provider = await startTestProvider([testClient([`http://127.0.0.1:${gatewayPort}`])]);
    stack = await startStack({
      mode: variant.mode,
      gatewayPort,
      env: { ...variant.env, OIDC_ISSUER: provider.issuer, OIDC_CLIENT_ID: CLIENT.id, OIDC_CLIENT_SECRET: CLIENT.secret, OIDC_SCOPES_CLAIM: 'roles', OIDC_PROVIDER_NAME: 'Test IdP' },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await provider?.close();
  });

  inBrowser('"Sign in with Test IdP": the provider\'s own page, back signed in as alice, her identity in the graph', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.gatewayUrl });
    context.setDefaultTimeout(15_000);
    const responses: { url: string; body: string }[] = [];
    context.on('response', async (response) => {
      const type = response.headers()['content-type'] ?? '';
      if (/json|html|text\/plain/.test(type)) responses.push({ url: response.url(), body: await response.text().catch(() => '') });
    });
    const playground = new PlaygroundPage(await context.newPage(), context);
    const { page } = playground;
    try {
      await playground.open(stack.gatewayUrl);
      await page.getByTestId('sign-in-provider').click();
      // The provider's own sign-in page.
      await page.waitForURL((url) => url.href.startsWith(provider.issuer));
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill('wonderland');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${stack.gatewayUrl}/graphql`);
      await page.locator('.graphiql-query-editor .monaco-editor').first().waitFor();
      await playground.status().and(page.locator('[data-state="logged-in"]')).waitFor();
      expect(await page.getByTestId('auth-user').textContent()).toBe('alice');

      const answer = await playground.run('me { id orders { id } }');
      expect(answer.errors).toBeUndefined();
      // u1: the provider's `sub` for alice (scripts/lib/dev-idp.ts), the identity every subgraph saw.
      expect(answer.data).toEqual({ me: { id: 'u1', orders: [{ id: 'o1' }] } });

      if (variant.mode === 'token') {
        // The tokens reached the page without ever appearing in a URL it visited.
        const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('gateway-playground:credential')!).token as string);
        for (const request of playground.requests) {
          expect(request.url(), request.url()).not.toMatch(JWT_PATTERN);
          expect(request.url()).not.toContain(token);
        }
      } else {
        // No provider token anywhere the page can reach: cookies, storage, any response it received.
        const cookies = await context.cookies();
        expect(cookies.map((cookie) => cookie.name).sort()).toContain('fedgw.sid');
        for (const cookie of cookies) expect(cookie.value, cookie.name).not.toMatch(JWT_PATTERN);
        const storage = await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
        expect(storage).not.toMatch(JWT_PATTERN);
        // The provider's own tokens, compared as they are: its access token need not look like a JWT.
        expect(provider.issuedTokens.length).toBeGreaterThanOrEqual(2);
        const cookieValues = cookies.map((cookie) => cookie.value).join('\n');
        for (const provided of provider.issuedTokens) {
          expect(cookieValues.includes(provided)).toBe(false);
          expect(storage.includes(provided)).toBe(false);
          for (const response of responses) expect(response.body.includes(provided), response.url).toBe(false);
        }
        for (const response of responses) expect(response.body, response.url).not.toMatch(JWT_PATTERN);
      }
    } finally {
      await context.close();
    }
  });
});
