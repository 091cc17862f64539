/**
 * Child process: the gateway under test, either ours (configured from an
 * env map through shared/config/, exactly as `gateway/main.ts` would be)
 * or the stock baseline. Answers `cpu` with its own CPU time so the parent
 * can charge it per request.
 */
import { loadGatewayConfig } from '../../shared/config/gateway.js';
import { silentLogger } from '../../shared/observability/logger.js';
import { startGateway } from '../../gateway/server.js';
import { startStockGateway } from './baseline.js';
import { cpuMs, serveParent } from './child.js';

export type GatewaySpec =
  | { kind: 'stock'; port: number; subgraphs: { name: string; url: string }[] }
  | { kind: 'ours'; env: Record<string, string> };

let close: () => Promise<void> = async () => {};

serveParent(
  {
    async start(request) {
      const spec = request.spec as GatewaySpec;
      if (spec.kind === 'stock') {
        const gateway = await startStockGateway(spec.port, spec.subgraphs);
        close = () => gateway.close();
        return { port: gateway.port };
      }
      const gateway = await startGateway(loadGatewayConfig(spec.env), { logger: silentLogger });
      close = () => gateway.close();
      await gateway.ready;
      return { port: gateway.port };
    },
    cpu: () => cpuMs(),
    // µs on the monotonic clock V8's profiler stamps its samples with.
    clock: () => Number(process.hrtime.bigint() / 1000n),
  },
  () => close(),
);
