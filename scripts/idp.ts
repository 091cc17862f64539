/**
 * `npm run idp`: a development OpenID Provider (scripts/lib/dev-idp.ts) on
 * http://localhost:4080 with alice and bob, and one client registered for a
 * gateway at http://localhost:4000 — start the gateway against it with the
 * README's OIDC_* settings. Everything lives in memory and ends with Ctrl-C.
 *
 * Environment: IDP_PORT (4080), IDP_ISSUER (http://localhost:<port>),
 * IDP_GATEWAY_URL (http://localhost:4000: where the client's redirect and
 * logout URIs point), IDP_CLIENTS (a JSON list of client metadata, instead of
 * the one client), IDP_JWKS_FILE (a JSON file of private JWKs to sign with),
 * IDP_ID_TOKEN_TTL (seconds).
 */
import fs from 'node:fs';
import type { ClientMetadata } from 'oidc-provider';
import { ConfigError, httpUrl, integer, optional } from '@fedgw/subgraph-kit';
import { runMain } from '../shared/config/env.js';
import { stopOnExitSignals } from '../shared/service/lifecycle.js';
import { startDevProvider } from './lib/dev-idp.js';

/** The client the README's settings use. */
export const DEV_CLIENT = { id: 'fedgw', secret: 'fedgw-development-secret' };

function devClient(gatewayUrl: string): ClientMetadata {
  const base = gatewayUrl.replace(/\/+$/, '');
  return {
    client_id: DEV_CLIENT.id,
    client_secret: DEV_CLIENT.secret,
    redirect_uris: [`${base}/auth/oidc/callback`],
    post_logout_redirect_uris: [`${base}/graphql`],
    backchannel_logout_uri: `${base}/auth/oidc/backchannel-logout`,
    backchannel_logout_session_required: true,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  };
}

function parseJson<T>(variable: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ConfigError(variable, 'valid JSON', text.slice(0, 40));
  }
}

void runMain(async () => {
  const env = process.env;
  const port = integer(env, 'IDP_PORT', 4080, 0, 65535);
  const clientsText = optional(env, 'IDP_CLIENTS');
  const jwksFile = optional(env, 'IDP_JWKS_FILE');
  const idp = await startDevProvider({
    port,
    issuer: optional(env, 'IDP_ISSUER') === undefined ? undefined : httpUrl(env, 'IDP_ISSUER', '').replace(/\/$/, ''),
    clients: clientsText ? parseJson<ClientMetadata[]>('IDP_CLIENTS', clientsText) : [devClient(httpUrl(env, 'IDP_GATEWAY_URL', 'http://localhost:4000'))],
    jwks: jwksFile ? parseJson('IDP_JWKS_FILE', fs.readFileSync(jwksFile, 'utf8')) : undefined,
    idTokenTtlSeconds: integer(env, 'IDP_ID_TOKEN_TTL', 3600, 1, 86400),
  });
  console.log(`development identity provider: ${idp.issuer} (listening on ${idp.url}); users alice/wonderland and bob/builder`);
  if (!clientsText) console.log(`client: OIDC_CLIENT_ID=${DEV_CLIENT.id} OIDC_CLIENT_SECRET=${DEV_CLIENT.secret}`);
  stopOnExitSignals(() => idp.close());
});
