/**
 * Token mode (AUTH_MODE=token, the default): the gateway mints a short-lived
 * identity token per subgraph; a subgraph verifies it against the gateway's
 * JWKS and needs nothing else. Each end is loaded on first use.
 */
import type { AuthModeDefinition } from '../contract.js';

export const tokenMode: AuthModeDefinition = {
  gateway: async (context) => (await import('./gateway.js')).tokenGateway(context),
  subgraph: async (context) => (await import('./subgraph.js')).tokenSubgraph(context),
};
