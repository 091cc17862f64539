/**
 * `npm start`: the gateway, every local subgraph listed in SUBGRAPHS_FILE
 * and every local downstream service they call (`downstream/<name>/`, named
 * in the list's `downstream`, a subgraph's or a listed service's), each as
 * its own process, with one prefixed log stream. Ctrl-C (or SIGTERM)
 * stops them all; if one started with the launcher exits on its own, the
 * others are stopped too.
 *
 * The launcher follows the list as the gateway does: a local subgraph added
 * to it (`npm run subgraph:new`) is launched, one removed from it is stopped.
 * Those come and go without taking the rest down: the gateway keeps serving
 * its last good supergraph whatever they do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readSubgraphList, subgraphsOf } from '../gateway/supergraph/subgraph-list.js';
import { runMain } from '../shared/config/env.js';
import { loadGatewayConfig } from '../shared/config/gateway.js';
import { downstreamUrlVariable } from '../shared/config/subgraph.js';
import { watchFile, type FileWatch } from '../shared/file-watch.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const colors = [36, 35, 33, 32, 34, 31, 96, 95];
const useColor = process.stdout.isTTY && !process.env.NO_COLOR;

interface Service {
  name: string;
  entry: string;
  env: Record<string, string>;
}

void runMain(async () => {
  // Validates the shared settings once, here, so a bad value is one line, not five.
  const config = loadGatewayConfig();
  const gatewayOrigin = `http://localhost:${config.port}`;
  const sharedEnv: Record<string, string> = {
    GATEWAY_ISSUER: config.gatewayIssuer,
    GATEWAY_JWKS_URL: process.env.GATEWAY_JWKS_URL ?? `${gatewayOrigin}/.well-known/jwks.json`,
    // The children write to a pipe (this launcher), so they cannot see the terminal:
    // tell them. Pretty one-line output for a person, JSON for anything else.
    LOG_FORMAT: config.logging.format ?? (process.stdout.isTTY ? 'pretty' : 'json'),
    // pino-pretty colours only a terminal it can see.
    ...(useColor ? { FORCE_COLOR: '1' } : {}),
    ...listedServiceUrls(config.subgraphsFile),
  };

  /** The local subgraphs of the list: those with a subgraphs/<name>/main.ts here. */
  const localSubgraphs = (quiet: boolean): Service[] => {
    const services: Service[] = [];
    for (const { name, url } of subgraphsOf(readSubgraphList(config.subgraphsFile))) {
      const entry = `subgraphs/${name}/main.ts`;
      if (!fs.existsSync(path.join(root, entry))) {
        if (!quiet) console.log(`[start] ${name} is not a local subgraph (no ${entry}); expecting it at ${url}`);
        continue;
      }
      const port = new URL(url).port || (url.startsWith('https:') ? '443' : '80');
      services.push({ name, entry, env: { ...sharedEnv, PORT: port } });
    }
    return services;
  };

  /** The local downstream services the list names (called, or listed for their own calls): started once, on <NAME>_URL's port or their own default. */
  const localDownstream = (): Service[] => {
    const entries = readSubgraphList(config.subgraphsFile);
    const names = new Set([...entries.flatMap((entry) => entry.downstream ?? []), ...entries.filter((entry) => entry.kind === 'service').map((entry) => entry.name)]);
    return [...names]
      .filter((name) => fs.existsSync(path.join(root, `downstream/${name}/main.ts`)))
      .map((name) => {
        const url = process.env[downstreamUrlVariable(name)] ?? sharedEnv[downstreamUrlVariable(name)];
        return { name, entry: `downstream/${name}/main.ts`, env: { ...sharedEnv, ...(url ? { PORT: new URL(url).port } : {}) } };
      });
  };

  const initial: Service[] = [
    { name: 'gateway', entry: 'gateway/main.ts', env: { ...sharedEnv, PORT: String(config.port) } },
    ...localSubgraphs(false),
    ...localDownstream(),
  ];

  let width = Math.max(...initial.map((service) => service.name.length));
  const children = new Map<string, ChildProcess>();
  /** Subgraphs being stopped because they left the list: their exit is expected. */
  const retiring = new Set<string>();
  let launched = 0;
  let stopping = false;
  let watch: FileWatch | undefined;

  const stopAll = (code: number) => {
    if (stopping) return;
    stopping = true;
    watch?.close();
    for (const child of children.values()) child.kill('SIGTERM');
    const force = setTimeout(() => {
      for (const child of children.values()) child.kill('SIGKILL');
    }, 5000);
    force.unref();
    const waitAll = setInterval(() => {
      if (children.size === 0) {
        clearInterval(waitAll);
        process.exit(code);
      }
    }, 50);
  };

  /** `critical`: started with the launcher, so its exit stops everything (a crash must be seen). */
  const launch = (service: Service, critical: boolean) => {
    width = Math.max(width, service.name.length);
    const label = `[${service.name.padEnd(width)}]`;
    const prefix = useColor ? `\x1b[${colors[launched++ % colors.length]}m${label}\x1b[0m ` : `${label} `;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, service.entry)], {
      cwd: process.cwd(),
      env: { ...process.env, ...service.env },
      // The IPC channel is a lifeline: if this launcher dies, however, the child sees it close and stops.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    children.set(service.name, child);
    for (const stream of [child.stdout!, child.stderr!]) {
      readline.createInterface({ input: stream }).on('line', (line) => process.stdout.write(prefix + line + '\n'));
    }
    child.on('exit', (code, signal) => {
      children.delete(service.name);
      if (stopping) return;
      if (retiring.delete(service.name)) {
        console.log(`[start] ${service.name} stopped: it left ${path.basename(config.subgraphsFile)}`);
      } else if (critical) {
        console.log(`[start] ${service.name} exited (${signal ?? `code ${code}`}); stopping the others`);
        stopAll(code || 1);
      } else {
        console.log(`[start] ${service.name} exited (${signal ?? `code ${code}`}); the gateway keeps serving without it`);
      }
    });
  };

  initial.forEach((service) => launch(service, true));

  // Follow the list: launch local subgraphs added to it, stop those removed.
  const sync = () => {
    let listed: Service[];
    try {
      listed = localSubgraphs(true);
    } catch {
      return; // a broken list is the gateway's to report; it keeps its last good one
    }
    for (const service of listed) {
      if (children.has(service.name) || retiring.has(service.name)) continue;
      console.log(`[start] ${service.name} was added to ${path.basename(config.subgraphsFile)}: launching it on port ${service.env.PORT}`);
      launch(service, false);
    }
    for (const [name, child] of children) {
      if (name === 'gateway' || listed.some((service) => service.name === name)) continue;
      retiring.add(name);
      child.kill('SIGTERM');
    }
  };
  // The list is replaced by rename, as the gateway's loader knows too (shared/file-watch.ts).
  watch = watchFile(config.subgraphsFile, () => {
    if (!stopping) sync();
  }, {
    debounceMs: 200,
    onError: (error) => console.log(`[start] not following ${config.subgraphsFile} (${error.message}); restart to launch new subgraphs`),
  });

  process.once('SIGINT', () => stopAll(0));
  process.once('SIGTERM', () => stopAll(0));
  // `npm start` runs this under npm and a shell that do not always pass a
  // SIGTERM on (timeout, systemd, docker stop): when the parent is gone, stop.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stopAll(0);
  }, 1000).unref();
});

/**
 * Where the list says each downstream service listed for its own calls is
 * (`"kind": "service"`, its `url`): its callers get <NAME>_URL from there,
 * and it its port, unless the environment says otherwise.
 */
function listedServiceUrls(file: string): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const entry of readSubgraphList(file)) {
    const variable = downstreamUrlVariable(entry.name);
    if (entry.kind === 'service' && process.env[variable] === undefined) urls[variable] = entry.url.replace(/\/+$/, '');
  }
  return urls;
}
