/**
 * Child process: the demo's payments service (downstream/payments), which
 * the orders subgraph calls on the caller's behalf (Order.payment), for the
 * variants whose subgraphs carry an identity (token and session mode). A
 * process of its own so its CPU time per request is read apart from the
 * subgraphs' (the extra hop's cost at its far end). Configured from the
 * variant's env map through shared/config/, as downstream/payments/main.ts.
 */
import { paymentsService } from '../../downstream/payments/index.js';
import { loadDownstreamConfig } from '../../shared/config/downstream.js';
import { startDownstreamService, type RunningDownstreamService } from '../../shared/downstream-service.js';
import { silentLogger } from '../../shared/observability/logger.js';
import { cpuMs, serveParent } from './child.js';

export interface PaymentsStats {
  cpuMs: number;
  /** HTTP requests accepted. */
  requests: number;
}

let service: RunningDownstreamService | undefined;
let requests = 0;

serveParent(
  {
    async start(request) {
      const env = { ...(request.env as Record<string, string>), PORT: '0' };
      const { name, defaultActors, downstream } = paymentsService;
      service = await startDownstreamService(paymentsService, loadDownstreamConfig(name, 0, defaultActors, env, downstream), { logger: silentLogger });
      // As for the subgraphs (subgraphs-child.ts): idle sockets outlive the run, for every variant alike.
      service.server.keepAliveTimeout = 60 * 60_000;
      service.server.on('request', () => requests++);
      return { url: service.url };
    },
    stats: (): PaymentsStats => ({ cpuMs: cpuMs(), requests }),
  },
  async () => {
    await service?.close();
  },
);
