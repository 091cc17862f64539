/**
 * The auth-mode variants every end-to-end suite runs in: token, session on
 * SQLite, session on Redis; and, for the key suites (e2e, downstream), each
 * mode again with request binding on (REQUEST_BINDING=on). Redis comes from REDIS_URL (default
 * redis://127.0.0.1:6379): locally a missing Redis skips its variant with a
 * printed reason; with CI=true the variant stays in and fails the run.
 */
import net from 'node:net';

export interface ModeVariant {
  name: string;
  mode: 'token' | 'session';
  env: Record<string, string>;
}

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

export const TOKEN: ModeVariant = { name: 'token', mode: 'token', env: {} };
/** SESSION_STORE for SQLite is set per stack (a file in the stack's temp folder). */
export const SESSION_SQLITE: ModeVariant = { name: 'session (sqlite)', mode: 'session', env: {} };
export const SESSION_REDIS: ModeVariant = { name: 'session (redis)', mode: 'session', env: { SESSION_STORE: REDIS_URL } };

/** Answers whether a Redis server answers PING at `url`, within a second. */
export function redisAnswers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

export const redisAvailable = await redisAnswers(REDIS_URL);
if (!redisAvailable) {
  if (IN_CI) console.error(`Redis at ${REDIS_URL} does not answer: with CI=true the Redis tests run anyway and fail.`);
  else console.warn(`skipping the session (redis) variant: no Redis answers at ${REDIS_URL} (set REDIS_URL, or start redis-server)`);
}

export function modeVariants(): ModeVariant[] {
  return redisAvailable || IN_CI ? [TOKEN, SESSION_SQLITE, SESSION_REDIS] : [TOKEN, SESSION_SQLITE];
}

/** Request binding on: every subgraph fetch carries a request proof, every subgraph requires one. */
export const TOKEN_BOUND: ModeVariant = { name: 'token, request binding', mode: 'token', env: { REQUEST_BINDING: 'on' } };
export const SESSION_BOUND: ModeVariant = { name: 'session (sqlite), request binding', mode: 'session', env: { REQUEST_BINDING: 'on' } };

/** The mode variants, then each mode with request binding on (not every suite: it would add a third to the run). */
export function modeVariantsWithBinding(): ModeVariant[] {
  return [...modeVariants(), TOKEN_BOUND, SESSION_BOUND];
}
