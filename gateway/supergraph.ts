/**
 * Supergraph loading: reads the subgraph list, fetches each subgraph's SDL
 * through the gateway's own data source (so the gateway's identity token goes
 * with it), and composes. At start it retries with backoff until every
 * subgraph answers, logging each failure in one line, instead of crashing on
 * the start-up race.
 */
import { composeServices } from '@apollo/composition';
import type { SupergraphManager } from '@apollo/gateway';
// The request kinds are not re-exported from the package root.
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types.js';
import { parse } from 'graphql';
import type { Logger } from './logger.js';
import { readSubgraphList, type SubgraphEntry } from './subgraph-list.js';

type GetDataSource = Parameters<SupergraphManager['initialize']>[0]['getDataSource'];

const SDL_QUERY = 'query __ApolloGetServiceDefinition__ { _service { sdl } }';

export interface SupergraphStatus {
  ready: boolean;
  subgraphs: string[];
  /** The last failure, in one line; kept until a later load succeeds. */
  lastError?: string;
}

export interface SupergraphLoader extends SupergraphManager {
  status(): SupergraphStatus;
  /** Interrupts a start that is still waiting for subgraphs. */
  stop(): void;
}

export interface SupergraphLoaderOptions {
  subgraphsFile: string;
  logger: Logger;
  /** First retry delay; doubles up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

export async function composeSupergraph(entries: SubgraphEntry[], getDataSource: GetDataSource): Promise<string> {
  const services = await Promise.all(
    entries.map(async ({ name, url }) => {
      let sdl: unknown;
      try {
        const response = await getDataSource({ name, url }).process({
          kind: GraphQLDataSourceRequestKind.LOADING_SCHEMA,
          request: { query: SDL_QUERY },
          context: {},
        });
        if (response.errors?.length) throw new Error(response.errors.map((error) => error.message).join('; '));
        sdl = (response.data as { _service?: { sdl?: unknown } } | undefined)?._service?.sdl;
      } catch (error) {
        throw new Error(`subgraph "${name}" (${url}): ${(error as Error).message}`);
      }
      if (typeof sdl !== 'string') throw new Error(`subgraph "${name}" (${url}) returned no SDL`);
      return { name, url, typeDefs: parse(sdl) };
    }),
  );
  const result = composeServices(services);
  if (result.errors) {
    throw new Error(`composition failed: ${result.errors.map((error) => error.message).join('; ')}`);
  }
  return result.supergraphSdl;
}

export function supergraphLoader(options: SupergraphLoaderOptions): SupergraphLoader {
  const state: SupergraphStatus = { ready: false, subgraphs: [] };
  let closed = false;
  let wake: (() => void) | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  return {
    status: () => ({ ...state, subgraphs: [...state.subgraphs] }),
    async initialize({ getDataSource }) {
      let delay = options.retryDelayMs ?? 250;
      for (let attempt = 1; ; attempt++) {
        try {
          const entries = readSubgraphList(options.subgraphsFile);
          const supergraphSdl = await composeSupergraph(entries, getDataSource);
          Object.assign(state, { ready: true, subgraphs: entries.map((entry) => entry.name), lastError: undefined });
          options.logger.info(`supergraph composed from ${entries.map((entry) => entry.name).join(', ')}`);
          return {
            supergraphSdl,
            cleanup: async () => {
              closed = true;
              wake?.();
            },
          };
        } catch (error) {
          state.lastError = (error as Error).message;
          if (closed) throw error;
          options.logger.warn(`supergraph not loaded (attempt ${attempt}, retrying in ${delay} ms): ${state.lastError}`);
          await sleep(delay);
          if (closed) throw new Error('gateway stopped before the supergraph was loaded');
          delay = Math.min(delay * 2, options.maxRetryDelayMs ?? 5000);
        }
      }
    },
    stop() {
      closed = true;
      wake?.();
    },
  };
}
