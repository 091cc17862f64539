/** The gateway process: configuration from the environment, clean stop on signals. */
import { runMain } from '../shared/config/env.js';
import { loadGatewayConfig } from '../shared/config/gateway.js';
import { createLogger } from '../shared/observability/logger.js';
import { stopOnExitSignals } from '../shared/service/lifecycle.js';
import { startGateway } from './server.js';

void runMain(async () => {
  const config = loadGatewayConfig();
  const logger = createLogger({ service: 'gateway', ...config.logging });
  const gateway = await startGateway(config, { logger, processMetrics: true });
  logger.info(`gateway listening on http://localhost:${gateway.port}; composing the supergraph…`, { authMode: config.authMode });
  stopOnExitSignals(() => gateway.close());
  await gateway.ready;
  logger.info(`gateway ready: GraphQL at http://localhost:${gateway.port}/graphql`);
});
