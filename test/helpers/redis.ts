/**
 * A private redis-server on a free port, for tests that stop and restart
 * Redis, or hang it (SIGSTOP). The machine's shared Redis is never stopped,
 * paused or flushed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../scripts/lib/local.js';
import { redisAnswers } from './modes.js';

export interface PrivateRedis {
  url: string;
  start(): Promise<void>;
  /** SIGKILL: gone, its connections closed. */
  stop(): Promise<void>;
  /** SIGSTOP: hung — its connections stay open and nothing answers (resume() undoes it). */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
}

export async function privateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const redis: PrivateRedis = {
    url,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
      for (let i = 0; i < 100; i++) {
        if (await redisAnswers(url)) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`private redis-server on port ${port} did not start`);
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
  };
  await redis.start();
  return redis;
}
