/**
 * Session mode (AUTH_MODE=session): each request carries the id of the
 * caller's session, read from the shared store (read only). Loaded on first use.
 */
import type { SubgraphModeDefinition } from '../contract.js';

export const sessionSubgraphEnd: SubgraphModeDefinition = async (context) => (await import('./subgraph.js')).sessionSubgraph(context);
