/**
 * `npm start`'s launcher as a real process tree on free ports: the gateway
 * and the four demo subgraphs, each its own process, with the launcher's
 * combined output captured for the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { eventually } from './eventually.js';
import { freePort, tempDir } from './stack.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const TSX = ['--import', 'tsx'];
export const SUBGRAPH_NAMES = ['accounts', 'products', 'reviews', 'orders'];

export interface Launched {
  launcher: ChildProcess;
  dir: string;
  gatewayUrl: string;
  /** The gateway's port first, then the subgraphs'. */
  ports: number[];
  output(): string;
  /** Removes the temporary folder (the processes are the test's to stop). */
  cleanup(): void;
}

export async function launchStack(mode: 'token' | 'session', env: Record<string, string> = {}): Promise<Launched> {
  const dir = tempDir();
  const gatewayPort = await freePort();
  const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
  fs.writeFileSync(
    path.join(dir, 'subgraphs.json'),
    JSON.stringify(SUBGRAPH_NAMES.map((name, i) => ({ name, url: `http://localhost:${ports[i]}/graphql` }))),
  );
  const launcher = spawn(process.execPath, [...TSX, 'scripts/start.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      AUTH_MODE: mode,
      PORT: String(gatewayPort),
      SUBGRAPHS_FILE: path.join(dir, 'subgraphs.json'),
      GATEWAY_KEYS_DIR: path.join(dir, 'keys'),
      SESSION_STORE: `sqlite:${path.join(dir, 'sessions.db')}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  launcher.stdout!.on('data', (chunk) => (output += chunk));
  launcher.stderr!.on('data', (chunk) => (output += chunk));

  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  await eventually(async () => {
    if (launcher.exitCode !== null) throw new Error(`the launcher exited (${launcher.exitCode}):\n${output}`);
    const status = await fetch(`${gatewayUrl}/readyz`).then((response) => response.status, () => 0);
    if (status !== 200) throw new Error(`gateway not ready yet:\n${output.slice(-2000)}`);
  }, { timeoutMs: 30_000 });
  return {
    launcher,
    dir,
    gatewayUrl,
    ports: [gatewayPort, ...ports],
    output: () => output,
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
