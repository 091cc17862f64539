/**
 * The demo as real processes, through `npm start`'s launcher: the gateway,
 * the four subgraphs and payments on free loopback ports, with a subgraph
 * list, keys and a SQLite store in a scratch folder. Used by the tests
 * (test/helpers/stack.ts) and by the soak (scripts/soak.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { AuthModeName } from '../../shared/auth-modes/index.js';
import { eventually } from './eventually.js';
import { freePort, tempDir } from './local.js';


export const ROOT = path.resolve(import.meta.dirname, '../..');
export const TSX = ['--import', 'tsx'];
export const SUBGRAPH_NAMES = ['accounts', 'products', 'reviews', 'orders'];

export interface Launched {
  launcher: ChildProcess;
  dir: string;
  gatewayUrl: string;
  /** The gateway's port first, then the subgraphs', then payments'. */
  ports: number[];
  output(): string;
  /** Removes the temporary folder (the processes are the test's to stop). */
  cleanup(): void;
  /** SIGTERM to the launcher (it stops its children), waits for it to exit, then cleans up. */
  stop(): Promise<void>;
}

export interface LaunchOptions {
  /** Through `npm start` (npm and its shell between the caller and the launcher), as an operator runs it; default: the launcher itself. */
  viaNpm?: boolean;
  /** The services payments calls further (with their <NAME>_URL in `env`): it is then listed as a `"kind": "service"` client of token exchange. */
  paymentsCalls?: string[];
}

export async function launchStack(mode: AuthModeName, env: Record<string, string> = {}, options: LaunchOptions = {}): Promise<Launched> {
  const dir = tempDir();
  const gatewayPort = await freePort();
  const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
  const paymentsPort = await freePort();
  const entries: object[] = SUBGRAPH_NAMES.map((name, i) => ({ name, url: `http://localhost:${ports[i]}/graphql`, ...(name === 'orders' ? { downstream: ['payments'] } : {}) }));
  if (options.paymentsCalls) entries.push({ name: 'payments', kind: 'service', url: `http://localhost:${paymentsPort}`, downstream: options.paymentsCalls });
  fs.writeFileSync(path.join(dir, 'subgraphs.json'), JSON.stringify(entries));
  const [command, args] = options.viaNpm ? ['npm', ['start', '--silent']] : [process.execPath, [...TSX, 'scripts/start.ts']];
  const launcher = spawn(command, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      AUTH_MODE: mode,
      PORT: String(gatewayPort),
      SUBGRAPHS_FILE: path.join(dir, 'subgraphs.json'),
      GATEWAY_KEYS_DIR: path.join(dir, 'keys'),
      SESSION_STORE: `sqlite:${path.join(dir, 'sessions.db')}`,
      // One folder, a key per name: orders and payments (when it calls further) are each their own client.
      SUBGRAPH_KEYS_DIR: path.join(dir, 'subgraph-keys'),
      PAYMENTS_URL: `http://localhost:${paymentsPort}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  launcher.stdout!.on('data', (chunk) => (output += chunk));
  launcher.stderr!.on('data', (chunk) => (output += chunk));

  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  // Six tsx processes compiling at once (and npm's prestart builds): on a loaded 2-core machine that alone has taken over 30 s.
  await eventually(async () => {
    if (launcher.exitCode !== null) throw new Error(`the launcher exited (${launcher.exitCode}):\n${output}`);
    const status = await fetch(`${gatewayUrl}/readyz`).then((response) => response.status, () => 0);
    if (status !== 200) throw new Error(`gateway not ready yet:\n${output.slice(-2000)}`);
  }, { timeoutMs: options.viaNpm ? 90_000 : 50_000 });
  return {
    launcher,
    dir,
    gatewayUrl,
    ports: [gatewayPort, ...ports, paymentsPort],
    output: () => output,
    cleanup,
    async stop() {
      if (launcher.exitCode === null && launcher.signalCode === null) {
        const exited = new Promise((resolve) => launcher.once('exit', resolve));
        launcher.kill('SIGTERM');
        await exited;
      }
      cleanup();
    },
  };
}
