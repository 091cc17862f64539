/**
 * How the gateway authenticates itself at the provider's token endpoint,
 * against the real oidc-provider: private_key_jwt (OIDC_CLIENT_KEY_FILE,
 * RFC 7523 client assertions) and a public client (no secret: PKCE alone).
 * A client assertion the provider does not accept fails the sign-in with
 * OIDC_GRANT_REJECTED, so a passing sign-in proves the assertion was checked.
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, tempDir } from '../../scripts/lib/local.js';
import { Client } from '../helpers/http.js';
import { CookieBrowser, startTestProvider, testClient, type TestProvider } from '../helpers/oidc.js';
import { startStack, type Stack } from '../helpers/stack.js';

describe('the gateway as a client of the provider', () => {
  const dir = tempDir('fag-client-key-');
  const keyFile = path.join(dir, 'client-key.pem');
  const otherKeyFile = path.join(dir, 'other-key.pem');
  let provider: TestProvider;
  let stack: Stack;
  const urls: Record<'keyed' | 'public' | 'wrongKey', string> = { keyed: '', public: '', wrongKey: '' };

  beforeAll(async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    fs.writeFileSync(otherKeyFile, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const ports = { keyed: await freePort(), public: await freePort(), wrongKey: await freePort() };
    for (const name of Object.keys(ports) as (keyof typeof ports)[]) urls[name] = `http://127.0.0.1:${ports[name]}`;
    const keyed = { client_id: 'keyed', token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig' }] } };
    provider = await startTestProvider([
      { ...testClient([urls.keyed, urls.wrongKey]), ...keyed, client_secret: undefined },
      { ...testClient([urls.public]), client_id: 'public', client_secret: undefined, token_endpoint_auth_method: 'none' },
    ]);
    const common = { OIDC_ISSUER: provider.issuer, OIDC_SCOPES_CLAIM: 'roles' };
    stack = await startStack({ mode: 'token', gatewayPort: ports.keyed, env: { ...common, OIDC_CLIENT_ID: 'keyed', OIDC_CLIENT_KEY_FILE: keyFile } });
    await stack.startReplica({ PORT: String(ports.public), PUBLIC_URL: urls.public, OIDC_CLIENT_ID: 'public', OIDC_CLIENT_KEY_FILE: '' });
    await stack.startReplica({ PORT: String(ports.wrongKey), PUBLIC_URL: urls.wrongKey, OIDC_CLIENT_KEY_FILE: otherKeyFile });
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await provider?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function signIn(url: string) {
    const browser = new CookieBrowser();
    const { landed } = await browser.signIn(url, 'alice', 'wonderland');
    return { browser, landed: landed! };
  }

  async function me(browser: CookieBrowser, url: string) {
    const ticket = await browser.request(`${url}/auth/oidc/ticket`, { method: 'POST' });
    expect(ticket.status).toBe(200);
    const client = new Client(url);
    client.token = ((await ticket.json()) as { access_token: string }).access_token;
    return (await client.query('{ me { id } }')).body.data?.me;
  }

  it('signs in with private_key_jwt: the provider accepts the gateway\'s signed client assertion', async () => {
    const { browser, landed } = await signIn(urls.keyed);
    expect(landed.status).toBe(303);
    expect(await me(browser, urls.keyed)).toEqual({ id: 'u1' });
  });

  it('refuses the sign-in when the assertion is signed with a key the provider does not know: OIDC_GRANT_REJECTED', async () => {
    const { landed } = await signIn(urls.wrongKey);
    expect(landed.status).toBe(400);
    expect(((await landed.json()) as { error: { code: string } }).error.code).toBe('OIDC_GRANT_REJECTED');
  });

  it('signs in as a public client, with PKCE alone', async () => {
    const { browser, landed } = await signIn(urls.public);
    expect(landed.status).toBe(303);
    expect(await me(browser, urls.public)).toEqual({ id: 'u1' });
  });
});
