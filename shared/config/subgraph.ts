/**
 * A subgraph's settings: what the subgraph kit reads (its name, the auth
 * mode, where the gateway's keys are, the shared store, the services it
 * calls and its own key for that: @fedgw/subgraph-kit's configFromEnv), and
 * what this repository's service skeleton adds (port, logs, metrics, drain:
 * the settings every process shares; where each downstream service is).
 */
import { configFromEnv, httpUrl, optional, type Env, type SubgraphKitConfig } from '@fedgw/subgraph-kit';
import { commonConfig, type CommonConfig } from './common.js';

export interface SubgraphConfig extends CommonConfig {
  name: string;
  /** What the kit needs, validated by the kit. */
  kit: SubgraphKitConfig;
  /** The base URL of each service it calls on the caller's behalf (`<NAME>_URL`, e.g. PAYMENTS_URL). */
  downstreamUrls: Readonly<Record<string, string>>;
}

/** `downstream`: the services the subgraph calls, each with its default base URL. */
export function loadSubgraphConfig(name: string, defaultPort: number, env: Env = process.env, downstream: Readonly<Record<string, string>> = {}): SubgraphConfig {
  // The kit first: a name that cannot be a token audience is refused before anything else.
  const kit = configFromEnv({ name, env, downstream: Object.keys(downstream) });
  return { ...commonConfig(env, defaultPort), name, kit, downstreamUrls: loadDownstreamUrls(env, downstream) };
}

/**
 * The base URL of each service a process calls: `<NAME>_URL`, else the
 * default. A service whose default is null is optional: called only when its
 * `<NAME>_URL` is set, and left out otherwise.
 */
export function loadDownstreamUrls(env: Env, downstream: Readonly<Record<string, string | null>>): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const [service, fallback] of Object.entries(downstream)) {
    const variable = downstreamUrlVariable(service);
    if (fallback === null && optional(env, variable) === undefined) continue;
    urls[service] = httpUrl(env, variable, fallback ?? '').replace(/\/+$/, '');
  }
  return urls;
}

/** `payments` → PAYMENTS_URL. */
export function downstreamUrlVariable(service: string): string {
  return `${service.toUpperCase().replace(/-/g, '_')}_URL`;
}
