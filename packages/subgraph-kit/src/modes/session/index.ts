/**
 * Session mode (AUTH_MODE=session): each request carries the id of the
 * caller's session, read from the shared store (read only) — at a subgraph
 * and at a downstream service alike. Loaded on first use.
 */
import type { DownstreamModeDefinition, SubgraphModeDefinition } from '../contract.js';

export const sessionSubgraphEnd: SubgraphModeDefinition = async (context) => (await import('./subgraph.js')).sessionSubgraph(context);
export const sessionDownstreamEnd: DownstreamModeDefinition = async (context) => (await import('./downstream.js')).sessionDownstream(context);
