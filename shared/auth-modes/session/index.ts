/**
 * Session mode (AUTH_MODE=session): the gateway keeps a server-side session
 * and forwards its id; each subgraph reads it from the shared store
 * (SESSION_STORE). Each end is loaded on first use.
 */
import type { AuthModeDefinition } from '../contract.js';

export const sessionMode: AuthModeDefinition = {
  gateway: async (context) => (await import('./gateway.js')).sessionGateway(context),
  subgraph: async (context) => (await import('./subgraph.js')).sessionSubgraph(context),
};
