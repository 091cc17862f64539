/**
 * A development OpenID Provider on oidc-provider (panva's OpenID Certified
 * provider): alice and bob sign in on its own page with their demo
 * passwords, and the gateway signs people in through it. For trying the real
 * flow on one machine (`npm run idp`) and for the tests, never for production:
 * its keys and its state live in memory.
 *
 * It answers discovery, authorization (PKCE required, `iss` in the
 * response, RFC 9207), token, userinfo, JWKS, RP-initiated logout and
 * back-channel logout. The login interaction is ours: a password form over
 * the demo user directory; consent is granted at once (a first-party client).
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { type ClientMetadata, type Configuration } from 'oidc-provider';
import { createUserDirectory, type UserDirectory } from '../../gateway/auth/users.js';

export interface DevProviderOptions {
  port: number;
  /** Default http://localhost:<port>; a test that puts a proxy in front sets the proxy's URL. */
  issuer?: string;
  clients: ClientMetadata[];
  /** Private signing keys (a test that crafts tokens "from the provider" passes its own); default: fresh ones. */
  jwks?: { keys: JWK[] };
  users?: UserDirectory;
  /** Seconds an ID token lives (default 3600). */
  idTokenTtlSeconds?: number;
}

export interface RunningProvider {
  url: string;
  issuer: string;
  close(): Promise<void>;
}

/** A fresh RS256 and an EdDSA signing key, with their private parts. */
export async function devSigningKeys(): Promise<{ keys: JWK[] }> {
  const keys: JWK[] = [];
  for (const [alg, options] of [['RS256', { extractable: true }], ['EdDSA', { crv: 'Ed25519', extractable: true }]] as const) {
    const { privateKey } = await generateKeyPair(alg, options);
    keys.push({ ...(await exportJWK(privateKey)), alg, use: 'sig', kid: `${alg.toLowerCase()}-${randomBytes(4).toString('hex')}` });
  }
  return { keys };
}

export async function startDevProvider(options: DevProviderOptions): Promise<RunningProvider> {
  const users = options.users ?? createUserDirectory();
  const issuer = options.issuer ?? `http://localhost:${options.port}`;
  const provider = new Provider(issuer, await providerConfiguration(options, users));
  // Plain http on loopback, behind nothing: tell oidc-provider not to expect a TLS proxy.
  provider.proxy = false;
  // What a developer wants to see: whom it told about a logout, and what failed (events the types do not list).
  const events = provider as unknown as { on(event: string, listener: (...args: any[]) => void): void };
  events.on('backchannel.success', (client: { clientId: string }) => console.log(`back-channel logout sent to ${client.clientId}`));
  events.on('backchannel.error', (_ctx: unknown, error: Error, client: { clientId: string }) => console.log(`back-channel logout to ${client.clientId} failed: ${error.message}`));
  events.on('server_error', (_ctx: unknown, error: Error) => console.log(`server error: ${error.stack ?? error.message}`));
  const app = express();
  app.disable('x-powered-by');
  interactionRoutes(app, provider, users);
  app.use(provider.callback());
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(options.port, '127.0.0.1', () => resolve(listening));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    issuer,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

async function providerConfiguration(options: DevProviderOptions, users: UserDirectory): Promise<Configuration> {
  return {
    clients: options.clients,
    jwks: (options.jwks ?? (await devSigningKeys())) as Configuration['jwks'],
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    // `roles` carries the user's scopes (the gateway maps it with OIDC_SCOPES_CLAIM=roles).
    claims: { openid: ['sub'], profile: ['name', 'preferred_username', 'roles'] },
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // The default page loads a web font from Google: this provider loads nothing from elsewhere.
        async logoutSource(ctx, form) {
          ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign out</title></head><body>
<h1>Sign out of the development identity provider?</h1>${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button></body></html>`;
        },
      },
    },
    pkce: { required: () => true },
    ttl: { IdToken: options.idTokenTtlSeconds ?? 3600 },
    async findAccount(_ctx, id) {
      const user = users.findById(id);
      if (!user) return undefined;
      return {
        accountId: id,
        claims: async () => ({ sub: id, name: user.name, preferred_username: user.username, roles: user.identity.scopes }),
      };
    },
  };
}

/** The provider's sign-in page: a password form over the demo users; consent is granted at once. */
function interactionRoutes(app: express.Express, provider: Provider, users: UserDirectory): void {
  const form = express.urlencoded({ extended: false });
  app.get('/interaction/:uid', async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'consent') return await grantConsent(provider, req, res, details);
      res.set('Cache-Control', 'no-store').type('html').send(loginPage(String(req.params.uid), String(details.params.client_id), false));
    } catch (error) {
      next(error);
    }
  });
  app.post('/interaction/:uid/login', form, async (req, res, next) => {
    try {
      const { username, password } = (req.body ?? {}) as Record<string, string>;
      const user = typeof username === 'string' && typeof password === 'string' ? await users.checkPassword(username, password) : null;
      if (!user) {
        const details = await provider.interactionDetails(req, res);
        res.status(401).set('Cache-Control', 'no-store').type('html').send(loginPage(String(req.params.uid), String(details.params.client_id), true));
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: user.identity.id } }, { mergeWithLastSubmission: false });
    } catch (error) {
      next(error);
    }
  });
}

async function grantConsent(provider: Provider, req: Request, res: Response, details: Awaited<ReturnType<Provider['interactionDetails']>>): Promise<void> {
  const { prompt, params, session, grantId } = details;
  const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId: session!.accountId, clientId: String(params.client_id) });
  const missing = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
  if (missing.missingOIDCScope) grant!.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant!.addOIDCClaims(missing.missingOIDCClaims);
  const saved = await grant!.save();
  await provider.interactionFinished(req, res, { consent: grantId ? {} : { grantId: saved } }, { mergeWithLastSubmission: true });
}

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function loginPage(uid: string, clientId: string, failed: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in — development identity provider</title>
<style>body{font:15px/1.4 system-ui,sans-serif;max-width:22rem;margin:4rem auto}label,input,button{display:block;width:100%;margin:.4rem 0}input{padding:.4rem}</style>
</head><body>
<h1>Development identity provider</h1>
<p>Sign in to continue to <strong>${escapeHtml(clientId)}</strong> (alice / wonderland, bob / builder).</p>
${failed ? '<p role="alert" id="error">Wrong username or password.</p>' : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label>Username <input name="username" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>
</body></html>`;
}
