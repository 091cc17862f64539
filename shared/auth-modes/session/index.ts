/**
 * Session mode (AUTH_MODE=session): the gateway keeps a server-side session
 * and forwards its id; each subgraph reads it from the shared store
 * (SESSION_STORE). Each end is loaded on first use; the
 * subgraph end is the kit's (@fedgw/subgraph-kit, src/modes/session/).
 */
import { SUBGRAPH_MODES } from '@fedgw/subgraph-kit';
import type { AuthModeDefinition } from '../contract.js';

export const sessionMode: AuthModeDefinition = {
  gateway: async (context) => (await import('./gateway.js')).sessionGateway(context),
  subgraph: SUBGRAPH_MODES.session,
};
