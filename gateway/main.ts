/** The gateway process: configuration from the environment, a graceful drain on signals. */
import { runMain } from '../shared/config/env.js';
import { loadGatewayConfig } from '../shared/config/gateway.js';
import { createLogger } from '../shared/observability/logger.js';
import { stopOnExitSignals } from '../shared/service/lifecycle.js';
import { startGateway } from './server.js';
import { closeSubgraphConnections } from './subgraph-fetcher.js';

void runMain(async () => {
  const config = loadGatewayConfig();
  const logger = createLogger({ service: 'gateway', ...config.logging });
  const gateway = await startGateway(config, { logger, processMetrics: true });
  logger.info(`gateway listening on ${gateway.url}; composing the supergraph…`, { authMode: config.authMode });
  let stopping = false;
  stopOnExitSignals(async () => {
    stopping = true;
    logger.info('stopping: draining requests in flight', { drainDelayMs: config.drain.delayMs, drainTimeoutMs: config.drain.timeoutMs });
    await gateway.drain(config.drain);
    await closeSubgraphConnections();
  });
  try {
    await gateway.ready;
  } catch (error) {
    // Stopped before the first supergraph composed: a normal stop, not a crash.
    if (stopping) return;
    throw error;
  }
  logger.info(`gateway ready: GraphQL at http://localhost:${gateway.port}/graphql`);
});
