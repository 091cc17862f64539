/**
 * Child process: one gateway under test, for one graph (the demo graph or
 * the public workload's): ours (configured from an env map through
 * shared/config/, exactly as `gateway/main.ts` would be, or with
 * authentication switched off), stock Apollo Gateway, or Hive Gateway.
 * Answers `cpu` with its own CPU time so the parent can charge it per
 * request. Each kind loads only its own code (a Hive Gateway process does
 * not load this gateway, and the other way round): dozens of these start at
 * once.
 */
import { cpuMs, serveParent } from './child.js';
import type { HiveJwtSetup } from './hive.js';

export type GatewaySpec =
  | { kind: 'stock'; port: number; subgraphs: { name: string; url: string }[] }
  | { kind: 'hive'; port: number; subgraphs: { name: string; url: string }[]; jwt?: Pick<HiveJwtSetup, 'issuer' | 'publicKeyPem'> }
  | { kind: 'ours'; env: Record<string, string>; authOff?: boolean };

let close: () => Promise<void> = async () => {};

serveParent(
  {
    async start(request) {
      const spec = request.spec as GatewaySpec;
      if (spec.kind === 'stock') {
        const { startStockGateway } = await import('./baseline.js');
        const gateway = await startStockGateway(spec.port, spec.subgraphs);
        close = () => gateway.close();
        return { port: gateway.port };
      }
      if (spec.kind === 'hive') {
        const { startHiveGateway } = await import('./hive.js');
        const gateway = await startHiveGateway(spec.port, spec.subgraphs, spec.jwt);
        close = () => gateway.close();
        return { port: gateway.port };
      }
      const [{ loadGatewayConfig }, { silentLogger }, { startGateway }, { noAuthStrategy }] = await Promise.all([
        import('../../shared/config/gateway.js'),
        import('../../shared/observability/logger.js'),
        import('../../gateway/server.js'),
        import('./auth-off.js'),
      ]);
      const gateway = await startGateway(loadGatewayConfig(spec.env), {
        logger: silentLogger,
        ...(spec.authOff ? { strategy: noAuthStrategy() } : {}),
      });
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
