/**
 * The OpenID Connect provider the gateway signs people in through, as
 * openid-client (panva's certified relying-party library) sees it: its
 * metadata from discovery, fetched once — and again after a failure, so a
 * provider that was down at start is picked up later — and the client's own
 * authentication at its token endpoint (client_secret_basic,
 * private_key_jwt, or none with PKCE alone).
 */
import { importPKCS8 } from 'jose';
import * as client from 'openid-client';
import type { OidcClientAuth, OidcSignInConfig } from '../../../shared/config/oidc.js';
import { PublicError } from '../../../shared/errors.js';
import { remoteKeys } from '@fedgw/subgraph-kit/token';

const DISCOVERY_TIMEOUT_SECONDS = 5;

export class OidcProvider {
  private configuration: Promise<client.Configuration> | undefined;
  private logoutKeys: ReturnType<typeof remoteKeys> | undefined;

  constructor(
    readonly issuer: string,
    readonly settings: OidcSignInConfig,
  ) {}

  /** The provider's metadata and this client; OIDC_PROVIDER_UNAVAILABLE while it cannot be discovered. */
  config(): Promise<client.Configuration> {
    this.configuration ??= this.discover().catch((error: unknown) => {
      this.configuration = undefined;
      throw new PublicError('OIDC_PROVIDER_UNAVAILABLE', 'the identity provider cannot be reached; try again shortly', { cause: error });
    });
    return this.configuration;
  }

  /**
   * The issuer as the provider's discovery document names it: what its `iss` parameter (RFC 9207) and its
   * tokens carry. It may differ from OIDC_ISSUER by a trailing "/" (openid-client accepts that at discovery).
   */
  async discoveredIssuer(): Promise<string> {
    return (await this.config()).serverMetadata().issuer;
  }

  /** RP-initiated logout at the provider, when it offers one (known once discovered). No token goes in this URL. */
  async endSessionUrl(): Promise<string | undefined> {
    const config = await this.config().catch(() => undefined);
    if (!config?.serverMetadata().end_session_endpoint) return undefined;
    return client.buildEndSessionUrl(config, { client_id: this.settings.clientId, post_logout_redirect_uri: this.settings.postLogoutRedirectUri }).href;
  }

  /** The provider's signing keys (its JWKS), for back-channel logout tokens. */
  async keys(): Promise<ReturnType<typeof remoteKeys>> {
    if (this.logoutKeys) return this.logoutKeys;
    const jwksUri = (await this.config()).serverMetadata().jwks_uri;
    if (!jwksUri) throw new PublicError('OIDC_PROVIDER_UNAVAILABLE', 'the identity provider publishes no jwks_uri');
    return (this.logoutKeys = remoteKeys(jwksUri, { cooldownMs: 30_000 }));
  }

  private async discover(): Promise<client.Configuration> {
    return client.discovery(new URL(this.issuer), this.settings.clientId, undefined, await clientAuthentication(this.settings.clientAuth), {
      // The ID token's signature is checked even though it comes straight from the token endpoint over TLS
      // (which OpenID Connect Core lets a client skip): a token that could be forged is never an identity here.
      execute: [client.enableNonRepudiationChecks, ...(this.settings.allowHttp ? [client.allowInsecureRequests] : [])],
      timeout: DISCOVERY_TIMEOUT_SECONDS,
    });
  }
}

async function clientAuthentication(auth: OidcClientAuth): Promise<client.ClientAuth> {
  switch (auth.method) {
    case 'client_secret_basic':
      return client.ClientSecretBasic(auth.secret);
    case 'none':
      return client.None();
    case 'private_key_jwt':
      return client.PrivateKeyJwt(await importPKCS8(auth.keyPem, auth.alg));
  }
}
