/**
 * Token mode (AUTH_MODE=token, the default): the gateway mints a short-lived
 * identity token per subgraph; a subgraph verifies it against the gateway's
 * JWKS and needs nothing else. Each end is loaded on first use; the
 * subgraph end is the kit's (@fedgw/subgraph-kit, src/modes/token/).
 */
import { SUBGRAPH_MODES } from '@fedgw/subgraph-kit';
import type { AuthModeDefinition } from '../contract.js';

export const tokenMode: AuthModeDefinition = {
  gateway: async (context) => (await import('./gateway.js')).tokenGateway(context),
  subgraph: SUBGRAPH_MODES.token,
};
