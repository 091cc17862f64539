/**
 * The auth modes a subgraph can run in: the kit's one list of them. The
 * `mode` setting (AUTH_MODE) is validated against it; adding a mode is a
 * folder here holding its subgraph end, and one line below (and, in the
 * gateway's repository, its gateway end and one line in its list). A
 * mode's end loads on first use, so reading this list loads no mode.
 */
import type { DownstreamModeDefinition, SubgraphModeDefinition } from './contract.js';
import { sessionDownstreamEnd, sessionSubgraphEnd } from './session/index.js';
import { tokenDownstreamEnd, tokenSubgraphEnd } from './token/index.js';

export const SUBGRAPH_MODES = {
  token: tokenSubgraphEnd,
  session: sessionSubgraphEnd,
} satisfies Record<string, SubgraphModeDefinition>;

export type ModeName = keyof typeof SUBGRAPH_MODES;

export const MODE_NAMES = Object.keys(SUBGRAPH_MODES) as ModeName[];

/** Each mode's end in a downstream service (a service a subgraph calls on the caller's behalf). */
export const DOWNSTREAM_MODES = {
  token: tokenDownstreamEnd,
  session: sessionDownstreamEnd,
} satisfies Record<ModeName, DownstreamModeDefinition>;
