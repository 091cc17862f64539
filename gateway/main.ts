/** The gateway process: configuration from the environment, clean stop on signals. */
import { loadGatewayConfig, runMain } from '../shared/config.js';
import { startGateway } from './server.js';

void runMain(async () => {
  const config = loadGatewayConfig();
  const gateway = await startGateway(config);
  console.log(`gateway listening on http://localhost:${gateway.port} (AUTH_MODE=${config.authMode}); composing the supergraph…`);
  const stop = () => {
    void gateway.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await gateway.ready;
  console.log(`gateway ready: GraphQL at http://localhost:${gateway.port}/graphql`);
});
