/**
 * The benchmark's child processes and the little IPC protocol they speak.
 * The gateway under test runs in a process of its own so its CPU time can be
 * read (process.cpuUsage over IPC) without counting the load generator or
 * the subgraphs; the subgraphs run in another.
 *
 * Protocol: the parent sends `{ id, type, ...payload }`; the child answers
 * `{ id, ok: true, value }` or `{ id, ok: false, error }`. `start` is the
 * first message; `stop` closes every server and ends the process normally
 * (so `--cpu-prof` can write its profile).
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '../..');

export interface Request {
  id: number;
  type: string;
  [key: string]: unknown;
}

export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export interface ChildHandle {
  pid: number;
  call<T>(type: string, payload?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Asks the child to close its servers and exit; kills it if it does not within the grace time. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir', dir]. */
  nodeArgs?: string[];
  /** Prefix for the child's output lines; undefined: the child's output is dropped. */
  label?: string;
}

export function spawnChild(script: string, options: SpawnOptions = {}): ChildHandle {
  const child: ChildProcess = fork(path.join(here, script), [], {
    cwd: REPO_ROOT,
    // Explicit, so nothing from the parent (vitest's own loaders) leaks in.
    execArgv: ['--import', 'tsx', ...(options.nodeArgs ?? [])],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const forward = (stream: NodeJS.ReadableStream | null) => {
    if (!stream) return;
    if (options.label === undefined) {
      stream.resume();
      return;
    }
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim()) process.stderr.write(`[${options.label}] ${line}\n`);
    });
  };
  forward(child.stdout);
  forward(child.stderr);

  let nextId = 1;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      for (const { reject } of pending.values()) reject(new Error(`bench child ${script} exited (${signal ?? code})`));
      pending.clear();
      resolve();
    });
  });
  child.on('message', (message: Reply) => {
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(new Error(`${script}: ${message.error}`));
  });

  return {
    pid: child.pid!,
    call<T>(type: string, payload: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
      if (exited) return Promise.reject(new Error(`bench child ${script} has exited`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`bench child ${script} did not answer ${type} within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value as T);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        child.send({ id, type, ...payload } satisfies Request);
      });
    },
    async stop(graceMs = 10_000) {
      if (exited) return;
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      this.call('stop', {}, graceMs).catch(() => {});
      await exit;
      clearTimeout(killer);
    },
  };
}

/**
 * The child side: answers requests with `handlers`, and ends the process
 * after `stop` (or when the parent goes away, so no orphan keeps a port).
 */
export function serveParent(handlers: Record<string, (request: Request) => Promise<unknown> | unknown>, close: () => Promise<void>): void {
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= close());
  const send = (reply: Reply) => process.send?.(reply);
  process.on('message', async (request: Request) => {
    if (request.type === 'stop') {
      await stop().catch(() => {});
      send({ id: request.id, ok: true, value: null });
      // Let the reply leave before exiting; a normal exit lets --cpu-prof write its file.
      process.disconnect?.();
      setImmediate(() => process.exit(0));
      return;
    }
    const handler = handlers[request.type];
    try {
      if (!handler) throw new Error(`unknown request ${request.type}`);
      send({ id: request.id, ok: true, value: await handler(request) });
    } catch (error) {
      send({ id: request.id, ok: false, error: (error as Error).stack ?? String(error) });
    }
  });
  process.once('disconnect', () => {
    void stop()
      .catch(() => {})
      .finally(() => process.exit(0));
  });
}

/** CPU time this process has used, in ms (user + system). */
export function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
