/**
 * A downstream service's settings (a service subgraphs call on the caller's
 * behalf, not a subgraph): what the kit reads — as for a subgraph, its name
 * being the audience of the tokens it takes — the services whose calls it
 * takes (ALLOWED_ACTORS), where the services it calls further are
 * (`<NAME>_URL`), and what every process shares.
 */
import { configFromEnv, ConfigError, optional, SUBGRAPH_NAME_PATTERN, type Env, type SubgraphKitConfig } from '@fedgw/subgraph-kit';
import { commonConfig, type CommonConfig } from './common.js';
import { loadDownstreamUrls } from './subgraph.js';

export interface DownstreamConfig extends CommonConfig {
  name: string;
  kit: SubgraphKitConfig;
  /** ALLOWED_ACTORS: token mode, the subgraphs whose calls it takes (the `act` of their tokens). */
  allowedActors: readonly string[];
  /** The base URL of each service it calls further on the caller's behalf; an optional one only when its <NAME>_URL is set. */
  downstreamUrls: Readonly<Record<string, string>>;
}

/** `downstream`: the services it may call further, each with its default base URL (null: only when <NAME>_URL is set). */
export function loadDownstreamConfig(
  name: string,
  defaultPort: number,
  defaultActors: readonly string[],
  env: Env = process.env,
  downstream: Readonly<Record<string, string | null>> = {},
): DownstreamConfig {
  const downstreamUrls = loadDownstreamUrls(env, downstream);
  // Only the services it will call: one left out needs no key, nor a line in the gateway's list.
  const kit = configFromEnv({ name, env, downstream: Object.keys(downstreamUrls) });
  return { ...commonConfig(env, defaultPort), name, kit, allowedActors: parseActors(env, defaultActors), downstreamUrls };
}

function parseActors(env: Env, fallback: readonly string[]): readonly string[] {
  const raw = optional(env, 'ALLOWED_ACTORS');
  if (raw === undefined) return fallback;
  const names = raw.split(',').map((name) => name.trim());
  if (names.some((name) => !SUBGRAPH_NAME_PATTERN.test(name))) throw new ConfigError('ALLOWED_ACTORS', 'a comma-separated list of subgraph names', raw);
  return names;
}
