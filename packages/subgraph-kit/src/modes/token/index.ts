/**
 * Token mode (AUTH_MODE=token, the default): each request carries an
 * identity token the gateway signed for this subgraph (or, at a downstream
 * service, a token the gateway exchanged for it); it is verified against the
 * gateway's JWKS, and nothing else is needed. Loaded on first use.
 */
import type { DownstreamModeDefinition, SubgraphModeDefinition } from '../contract.js';

export const tokenSubgraphEnd: SubgraphModeDefinition = async (context) => (await import('./subgraph.js')).tokenSubgraph(context);
export const tokenDownstreamEnd: DownstreamModeDefinition = async (context) => (await import('./downstream.js')).tokenDownstream(context);
