/**
 * `npm start`: the gateway and every local subgraph listed in SUBGRAPHS_FILE,
 * each as its own process, with one prefixed log stream. Ctrl-C (or SIGTERM)
 * stops them all; if one exits on its own, the others are stopped too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadGatewayConfig, runMain } from '../shared/config.js';
import { readSubgraphList } from '../gateway/subgraph-list.js';

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
  const sharedEnv = {
    GATEWAY_ISSUER: config.gatewayIssuer,
    GATEWAY_JWKS_URL: process.env.GATEWAY_JWKS_URL ?? `${gatewayOrigin}/.well-known/jwks.json`,
  };

  const services: Service[] = [{ name: 'gateway', entry: 'gateway/main.ts', env: { ...sharedEnv, PORT: String(config.port) } }];
  for (const { name, url } of readSubgraphList(config.subgraphsFile)) {
    const entry = `subgraphs/${name}/main.ts`;
    if (!fs.existsSync(path.join(root, entry))) {
      console.log(`[start] ${name} is not a local subgraph (no ${entry}); expecting it at ${url}`);
      continue;
    }
    const port = new URL(url).port || (url.startsWith('https:') ? '443' : '80');
    services.push({ name, entry, env: { ...sharedEnv, PORT: port } });
  }

  const width = Math.max(...services.map((service) => service.name.length));
  const children = new Map<string, ChildProcess>();
  let stopping = false;

  const stopAll = (code: number) => {
    if (stopping) return;
    stopping = true;
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

  services.forEach((service, index) => {
    const label = `[${service.name.padEnd(width)}]`;
    const prefix = useColor ? `\x1b[${colors[index % colors.length]}m${label}\x1b[0m ` : `${label} `;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, service.entry)], {
      cwd: process.cwd(),
      env: { ...process.env, ...service.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.set(service.name, child);
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => process.stdout.write(prefix + line + '\n'));
    }
    child.on('exit', (code, signal) => {
      children.delete(service.name);
      if (!stopping) {
        console.log(`[start] ${service.name} exited (${signal ?? `code ${code}`}); stopping the others`);
        stopAll(code || 1);
      }
    });
  });

  process.once('SIGINT', () => stopAll(0));
  process.once('SIGTERM', () => stopAll(0));
});
