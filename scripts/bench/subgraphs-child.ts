/**
 * Child process: one variant's subgraphs, both graphs of them — the four
 * demo subgraphs and the four of the public workload (scripts/bench/public/)
 * — configured from an env map through shared/config/ like their own entry
 * points, or with auth switched off (the peers, and this gateway with auth
 * off). Counts the HTTP requests and TCP connections the servers accept, so
 * the parent can tell subgraph fetches per request and whether the gateway
 * reuses its connections (keep-alive). Only one graph is under load at a
 * time, so the counts and the CPU time are that graph's.
 */
import { loadSubgraphConfig } from '../../shared/config/subgraph.js';
import { silentLogger } from '../../shared/observability/logger.js';
import { startSubgraph, type RunningSubgraph, type SubgraphDefinition } from '../../shared/subgraph-server.js';
import { DEMO_SUBGRAPHS } from '../../subgraphs/demo.js';
import { noAuthAuthenticator } from './auth-off.js';
import { cpuMs, serveParent } from './child.js';
import { PUBLIC_SUBGRAPHS } from './public/index.js';

export type GraphId = 'demo' | 'public';

export const GRAPHS: Record<GraphId, SubgraphDefinition[]> = { demo: DEMO_SUBGRAPHS, public: PUBLIC_SUBGRAPHS };

export interface SubgraphsSpec {
  env: Record<string, string>;
  /** No authentication at all: a fixed caller (scripts/bench/auth-off.ts). */
  noAuth: boolean;
  /** Where the payments service runs (payments-child.ts): the subgraphs that call it (orders) are configured and listed for it. */
  paymentsUrl?: string;
}

export type SubgraphLists = Record<GraphId, { name: string; url: string; downstream?: string[] }[]>;

export interface SubgraphStats {
  cpuMs: number;
  /** HTTP requests accepted, all subgraphs together. */
  requests: number;
  /** TCP connections accepted, all subgraphs together. */
  connectionsOpened: number;
  /** TCP connections open right now. */
  connectionsOpen: number;
}

const running: RunningSubgraph[] = [];
let requests = 0;
let connectionsOpened = 0;

const openConnections = (server: RunningSubgraph['server']) =>
  new Promise<number>((resolve) => server.getConnections((error, count) => resolve(error ? 0 : count)));

serveParent(
  {
    async start(request) {
      const spec = request.spec as SubgraphsSpec;
      const lists = { demo: [], public: [] } as SubgraphLists;
      for (const graph of Object.keys(GRAPHS) as GraphId[]) {
        for (const definition of GRAPHS[graph]) {
          const calls = spec.paymentsUrl && definition.downstream?.payments ? { payments: definition.downstream.payments } : undefined;
          const env = { ...spec.env, PORT: '0', ...(calls ? { PAYMENTS_URL: spec.paymentsUrl! } : {}) };
          const config = loadSubgraphConfig(definition.name, 0, env, calls);
          const subgraph = await startSubgraph(definition, config, {
            logger: silentLogger,
            ...(spec.noAuth ? { authenticator: noAuthAuthenticator() } : {}),
          });
          // @apollo/gateway's fetch (make-fetch-happen) keeps idle sockets forever while Node closes them after 5 s:
          // a request sent as the server closes fails with "socket hang up" (apollographql/federation#2313).
          // Variants sit idle while the others are measured, so the benchmark keeps subgraph sockets open longer
          // than a run, for every variant alike, and measures requests rather than that race.
          subgraph.server.keepAliveTimeout = 60 * 60_000;
          subgraph.server.on('request', () => requests++);
          subgraph.server.on('connection', () => connectionsOpened++);
          running.push(subgraph);
          // Listed with its downstream service: the gateway then takes its token-exchange requests (its keys at /.well-known/jwks.json).
          lists[graph].push({ name: subgraph.name, url: `${subgraph.url}/graphql`, ...(calls ? { downstream: Object.keys(calls) } : {}) });
        }
      }
      return lists;
    },
    async stats(): Promise<SubgraphStats> {
      const open = await Promise.all(running.map((subgraph) => openConnections(subgraph.server)));
      return { cpuMs: cpuMs(), requests, connectionsOpened, connectionsOpen: open.reduce((a, b) => a + b, 0) };
    },
  },
  async () => {
    for (const subgraph of running.splice(0)) await subgraph.close();
  },
);
