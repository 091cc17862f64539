/**
 * Running local copies of the services, for the benchmark and the tests:
 * a free loopback port, a scratch folder.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A port nothing listens on right now, for a server that starts a moment
 * later. Chosen below the ephemeral range (Linux: 32768–60999), so a server
 * or connection given port 0 by the OS in that moment cannot take it; never
 * the same one twice in a process.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = FIRST_PORT + Math.floor(Math.random() * (LAST_PORT - FIRST_PORT));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port between ${FIRST_PORT} and ${LAST_PORT}`);
}

const FIRST_PORT = 20_000;
const LAST_PORT = 32_700;
const handedOut = new Set<number>();

/** On every address (dual-stack `::`), as the servers here listen. */
function canListen(port: number): Promise<boolean> {
  const server = http.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

export function tempDir(prefix = 'fag-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
