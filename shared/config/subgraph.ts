/**
 * A subgraph's settings: what the subgraph kit reads (its name, the auth
 * mode, where the gateway's keys are, the shared store: @fedgw/subgraph-kit's
 * configFromEnv), and what this repository's service skeleton adds (port,
 * logs, metrics, drain: the settings every process shares).
 */
import { configFromEnv, type Env, type SubgraphKitConfig } from '@fedgw/subgraph-kit';
import { commonConfig, type CommonConfig } from './common.js';

export interface SubgraphConfig extends CommonConfig {
  name: string;
  /** What the kit needs, validated by the kit. */
  kit: SubgraphKitConfig;
}

export function loadSubgraphConfig(name: string, defaultPort: number, env: Env = process.env): SubgraphConfig {
  // The kit first: a name that cannot be a token audience is refused before anything else.
  const kit = configFromEnv({ name, env });
  return { ...commonConfig(env, defaultPort), name, kit };
}
