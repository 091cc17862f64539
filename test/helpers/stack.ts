/**
 * The tests' stack builder: the four demo subgraphs and the gateway, each a
 * real HTTP server on a free loopback port, configured through the same
 * config parser as the processes —
 *
 * - startStack: in this process (optionally with a recording proxy in front
 *   of each subgraph, so a test can see exactly what the gateway sent, and
 *   with every server's log lines captured);
 * - launchStack: as real processes, through `npm start`'s launcher.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { loadGatewayConfig } from '../../shared/config/gateway.js';
import { loadDownstreamConfig } from '../../shared/config/downstream.js';
import { downstreamUrlVariable } from '../../shared/config/subgraph.js';
import { startDownstreamService, type DownstreamServiceDefinition, type RunningDownstreamService } from '../../shared/downstream-service.js';
import type { SubgraphEntry } from '../../gateway/supergraph/subgraph-list.js';
import type { AuthModeName } from '../../shared/auth-modes/index.js';
import type { SubgraphDefinition, RunningSubgraph } from '../../shared/subgraph-server.js';
import { startSubgraph, subgraphConfig } from '../../shared/subgraph-server.js';
import { startGateway, type RunningGateway } from '../../gateway/server.js';
import { createLogger, silentLogger, type Logger } from '../../shared/observability/logger.js';
import { freePort, tempDir } from '../../scripts/lib/local.js';
import { DEMO_DOWNSTREAM, DEMO_SUBGRAPHS } from '../../subgraphs/demo.js';
import { eventually } from './eventually.js';
import { Client } from './http.js';

export interface SeenRequest {
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface StackOptions {
  mode?: AuthModeName;
  /** Extra environment for every process (e.g. SESSION_STORE). */
  env?: Record<string, string>;
  /** Put a recording proxy in front of each subgraph. */
  record?: boolean;
  subgraphs?: SubgraphDefinition[];
  /** Downstream services to run beside them (default: the demo's, payments, with the demo subgraphs; none with `subgraphs`). */
  downstream?: DownstreamServiceDefinition[];
  /** Subgraphs running elsewhere (another process, another team's server), listed after the stack's own. */
  external?: { name: string; url: string }[];
  /** A port chosen by the test (e.g. to point something at the gateway before it starts). */
  gatewayPort?: number;
  /** Capture every server's log lines (debug and up) in `stack.logs`, instead of logging nothing. */
  logs?: boolean;
}

/** Log lines captured from the stack's servers: what each process would have written to stdout. */
export class LogCapture {
  /** Every line as written, for scanning the raw text (e.g. for secrets). */
  readonly raw: string[] = [];
  /** A pino destination: lines arrive as JSON text. */
  readonly destination = { write: (line: string) => void this.raw.push(line) };

  lines(): Record<string, any>[] {
    return this.raw.map((line) => JSON.parse(line) as Record<string, any>);
  }

  logger(service: string): Logger {
    return createLogger({ service, level: 'debug', format: 'json', destination: this.destination });
  }
}

export interface Stack {
  mode: AuthModeName;
  dir: string;
  gateway: RunningGateway;
  gatewayUrl: string;
  subgraphs: Record<string, RunningSubgraph>;
  /** The downstream services (payments), by name. */
  services: Record<string, RunningDownstreamService>;
  /** What each subgraph received, when `record` is on. */
  seen: Record<string, SeenRequest[]>;
  env: Record<string, string>;
  /** With `logs: true`, what every server logged. */
  logs: LogCapture;
  client(url?: string): Client;
  /** Stops the gateway and starts a new one on the same port and keys folder (e.g. after a key rotation). */
  restartGateway(): Promise<RunningGateway>;
  /** Another gateway over the same subgraphs and store (a replica), closed with the stack. */
  startReplica(env?: Record<string, string>): Promise<RunningGateway>;
  close(): Promise<void>;
}

/** A reverse proxy that records every request before passing it on unchanged. */
async function recordingProxy(target: string, seen: SeenRequest[]) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ headers: req.headers, body: body.toString('utf8') });
      const upstream = http.request(
        new URL(req.url ?? '/', target),
        { method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const mode = options.mode ?? 'token';
  const dir = tempDir();
  const gatewayPort = options.gatewayPort ?? (await freePort());
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const env: Record<string, string> = {
    AUTH_MODE: mode,
    GATEWAY_ISSUER: gatewayUrl,
    GATEWAY_JWKS_URL: `${gatewayUrl}/.well-known/jwks.json`,
    SESSION_STORE: `sqlite:${path.join(dir, 'sessions.db')}`,
    GATEWAY_KEYS_DIR: path.join(dir, 'keys'),
    SUBGRAPHS_FILE: path.join(dir, 'subgraphs.json'),
    // Only a subgraph with downstream services (orders) makes and reads its key.
    SUBGRAPH_KEY_FILE: path.join(dir, 'subgraph-key.pem'),
    ...options.env,
  };

  const closers: (() => Promise<void>)[] = [];
  const logs = new LogCapture();
  const loggerFor = (service: string) => (options.logs ? logs.logger(service) : silentLogger);
  const subgraphs: Record<string, RunningSubgraph> = {};
  const seen: Record<string, SeenRequest[]> = {};
  const entries: SubgraphEntry[] = [];
  const services: Record<string, RunningDownstreamService> = {};
  try {
    // Downstream services first: the subgraphs that call them need their URLs (<NAME>_URL).
    for (const definition of options.downstream ?? (options.subgraphs ? [] : DEMO_DOWNSTREAM)) {
      const service = await startDownstreamService(definition, loadDownstreamConfig(definition.name, 0, definition.defaultActors, { ...env, PORT: '0' }, definition.downstream), { logger: loggerFor(definition.name) });
      closers.push(() => service.close());
      services[definition.name] = service;
      env[downstreamUrlVariable(definition.name)] = service.url;
    }
    for (const definition of options.subgraphs ?? DEMO_SUBGRAPHS) {
      const subgraph = await startSubgraph(definition, subgraphConfig(definition, { ...env, PORT: '0' }, 0), {
        logger: loggerFor(definition.name),
      });
      closers.push(() => subgraph.close());
      subgraphs[definition.name] = subgraph;
      let url = subgraph.url;
      if (options.record) {
        seen[definition.name] = [];
        const proxy = await recordingProxy(subgraph.url, seen[definition.name]);
        closers.push(proxy.close);
        url = proxy.url;
      }
      entries.push({ name: definition.name, url: `${url}/graphql`, ...(definition.downstream ? { downstream: Object.keys(definition.downstream) } : {}) });
    }
    entries.push(...(options.external ?? []));
    fs.writeFileSync(env.SUBGRAPHS_FILE, JSON.stringify(entries, null, 2));

    const startMainGateway = async () => {
      const started = await startGateway(loadGatewayConfig({ ...env, PORT: String(gatewayPort) }), { logger: loggerFor('gateway') });
      closers.push(() => started.close());
      await started.ready;
      return started;
    };
    const gateway = await startMainGateway();

    const stack: Stack = {
      mode,
      dir,
      gateway,
      gatewayUrl,
      subgraphs,
      services,
      seen,
      env,
      logs,
      client: (url = gatewayUrl) => new Client(url),
      async restartGateway() {
        await stack.gateway.close();
        stack.gateway = await startMainGateway();
        return stack.gateway;
      },
      async startReplica(extra = {}) {
        const replica = await startGateway(loadGatewayConfig({ ...env, PORT: '0', ...extra }), { logger: loggerFor('gateway-replica') });
        closers.push(() => replica.close());
        await replica.ready;
        return replica;
      },
      async close() {
        for (const close of closers.reverse()) await close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
    return stack;
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => {});
    throw error;
  }
}

// The same stack as real processes, through `npm start`'s launcher (shared with the soak script).
export { launchStack, ROOT, SUBGRAPH_NAMES, TSX, type LaunchOptions, type Launched } from '../../scripts/lib/launch.js';
