/**
 * Signing in through an OpenID Connect provider (OIDC_ISSUER with
 * OIDC_CLIENT_ID), in both auth modes: the routes, and what logout needs.
 * Without those settings the gateway has none of this, and the password
 * login with the demo users stays the only way in.
 */
import type { GatewayAuthStrategy } from '../../../shared/auth-modes/contract.js';
import type { GatewayConfig } from '../../../shared/config/gateway.js';
import type { Logger } from '../../../shared/observability/logger.js';
import type { Route } from '../../../shared/service/app.js';
import type { SharedStore } from '../../../shared/store/contract.js';
import { backchannelLogoutRoute } from './backchannel-logout.js';
import { OidcProvider } from './provider.js';
import { signInRoutes } from './sign-in.js';

export interface OidcSignIn {
  routes: Route[];
  /** RP-initiated logout at the provider (no token in it), when the provider offers one. */
  endSessionUrl(): Promise<string | undefined>;
  /** For the playground's button: "Sign in with <name>". */
  providerName: string;
}

export function oidcSignIn(config: GatewayConfig, strategy: GatewayAuthStrategy, store: SharedStore, logger: Logger): OidcSignIn | undefined {
  const settings = config.oidc?.signIn;
  if (!settings) return undefined;
  const provider = new OidcProvider(config.oidc!.issuer, settings);
  // Discover early, so the first sign-in does not wait for it; a provider that is down is tried again on use.
  provider.config().catch((error: Error) => logger.warn(`identity provider ${provider.issuer} not discovered yet: ${error.cause instanceof Error ? error.cause.message : error.message}`));
  return {
    routes: [...signInRoutes({ config, provider, strategy, store }), backchannelLogoutRoute({ provider, strategy, store, logger })],
    endSessionUrl: () => provider.endSessionUrl(),
    providerName: settings.providerName,
  };
}
