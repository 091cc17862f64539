/** A subgraph's settings: the shared ones, and its own name (the audience of its identity tokens). */
import { ConfigError, type Env } from '@fedgw/subgraph-kit';
import { commonConfig, SUBGRAPH_NAME_PATTERN, type CommonConfig } from './common.js';

export interface SubgraphConfig extends CommonConfig {
  name: string;
}

export function loadSubgraphConfig(name: string, defaultPort: number, env: Env = process.env): SubgraphConfig {
  if (!SUBGRAPH_NAME_PATTERN.test(name)) {
    throw new ConfigError('subgraph name', `lowercase letters, digits and "-" (${SUBGRAPH_NAME_PATTERN})`, name);
  }
  return { ...commonConfig(env, defaultPort), name };
}
