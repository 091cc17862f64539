/**
 * Token mode (AUTH_MODE=token, the default): each request carries an
 * identity token the gateway signed for this subgraph; it is verified
 * against the gateway's JWKS, and nothing else is needed. Loaded on first use.
 */
import type { SubgraphModeDefinition } from '../contract.js';

export const tokenSubgraphEnd: SubgraphModeDefinition = async (context) => (await import('./subgraph.js')).tokenSubgraph(context);
