/**
 * Running local copies of the services, for the benchmark and the tests:
 * a free loopback port, a scratch folder.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A port nothing listens on right now (the OS picks it; there is a small window before it is used). */
export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function tempDir(prefix = 'fag-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
