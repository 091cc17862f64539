/**
 * A real load-balanced cluster for tests, every part a real process on a
 * free loopback port:
 *
 *   client ──▶ HAProxy frontend ──▶ backend `replicas` (health: GET /readyz = 200) ──▶ gateway r0 … r{N-1}
 *                     │         └──▶ backend `keys` for /.well-known/jwks.json (health: GET /healthz = 200)
 *                     ▼
 *   accounts, products, reviews, orders (fetch the JWKS through the frontend)
 *   a private redis-server (SESSION_STORE of every process)
 *
 * The replicas share one GATEWAY_KEYS_DIR, one SUBGRAPHS_FILE, one
 * SESSION_SECRET and the Redis; their issuer is the frontend. Why each HAProxy
 * directive is there: docs/replicas.md.
 *
 * `startCluster` returns once HAProxy reports every replica up and requests
 * through the frontend have reached each of them. `close()` stops every
 * process it started (SIGTERM, then SIGKILL after a grace period) and removes
 * its temporary folder; a process still running when the test process exits
 * is killed then. `startLoad` keeps a fixed number of requests in flight and
 * counts what failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AuthModeName } from '../../shared/auth-modes/index.js';
import { freePort, tempDir } from '../../scripts/lib/local.js';
import { Client } from './http.js';
import { privateRedis, type PrivateRedis } from './redis.js';
import { ROOT, SUBGRAPH_NAMES, TSX } from './stack.js';

export const HAPROXY = '/usr/sbin/haproxy';
export const hasHaproxy = fs.existsSync(HAPROXY);

/** The response header HAProxy adds to every answer from the frontend: the replica's server name (r0, r1, …). */
export const SERVED_BY = 'x-served-by';

/**
 * Health checks: every `inter` (every `downinter` while down, so a started replica joins sooner),
 * a replica is down after `fall` failed checks and up again after `rise` good ones.
 */
export const HEALTH_CHECK = { interMs: 250, downinterMs: 100, fall: 2, rise: 2 };

export interface ClusterOptions {
  mode?: AuthModeName;
  /** Number of gateway replicas (default 3). */
  replicas?: number;
  /** Extra environment for every replica (e.g. KEY_ACTIVATION_DELAY, DRAIN_DELAY, DRAIN_TIMEOUT), passed through as is. */
  env?: Record<string, string>;
  /** Extra environment for every subgraph. */
  subgraphEnv?: Record<string, string>;
  /** How long to wait for the cluster (or a restarted replica) to be ready (default 60 s). */
  readyTimeoutMs?: number;
}

// ---------------------------------------------------------------------------
// Processes

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One started process: its output is kept (the last 256 KB) for failure messages. */
export interface Proc {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Resolves when it has exited (never rejects). */
  exited: Promise<Exit>;
  exit: Exit | undefined;
  output(): string;
}

const OUTPUT_LIMIT = 256 * 1024;
/** Every process the harness started and has not yet seen exit, for the last-resort kill at exit. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // The test process is going away (a crash, a forgotten close()): no process outlives it.
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

function startProcess(name: string, command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; ipc?: boolean }): Proc {
  installExitHook();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    // The IPC channel is the Node services' lifeline (shared/service/lifecycle.ts):
    // if this test process dies, however, they see it close and stop.
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const proc: Proc = {
    name,
    child,
    pid: child.pid ?? -1,
    exit: undefined,
    exited: new Promise<Exit>((resolve) => {
      child.once('error', (error) => {
        keep(Buffer.from(`[harness] ${name} could not start: ${error.message}\n`));
      });
      child.once('close', (code, signal) => {
        running.delete(child);
        proc.exit = { code, signal };
        resolve(proc.exit);
      });
    }),
    output: () => output,
  };
  return proc;
}

/** SIGTERM, then SIGKILL if it has not exited after `graceMs`. By PID only. */
async function stopProcess(proc: Proc, graceMs = 5000): Promise<Exit> {
  if (proc.exit) return proc.exit;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  const exit = await proc.exited;
  clearTimeout(timer);
  return exit;
}

function describeExit(exit: Exit | undefined): string {
  if (!exit) return 'running';
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

// ---------------------------------------------------------------------------
// Probes

export type ProbeAnswer = number | `error:${string}`;

/** GET on a fresh connection (no keep-alive: each probe says whether the port still accepts). */
export function probe(url: string, timeoutMs = 1000): Promise<ProbeAnswer> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, timeout: timeoutMs }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', (error: NodeJS.ErrnoException) => resolve(`error:${error.code ?? error.message}`));
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    request.on('error', (error: NodeJS.ErrnoException) => resolve(`error:${error.code ?? error.message}`));
  });
}

/** Consecutive equal answers of a probe, in order. */
export interface ProbeRun {
  answer: ProbeAnswer;
  count: number;
  /** Milliseconds after the probing began. */
  firstAtMs: number;
}

/** Probes `url` every `everyMs` until `until` settles; returns the answers as runs. */
async function probeUntil(url: string, until: Promise<unknown>, everyMs = 20): Promise<ProbeRun[]> {
  const runs: ProbeRun[] = [];
  const started = Date.now();
  let done = false;
  void until.then(() => (done = true));
  while (!done) {
    const at = Date.now() - started;
    const answer = await probe(url, 500);
    if (done && typeof answer !== 'number') break; // the process is gone: not an answer it gave
    const last = runs.at(-1);
    if (last && last.answer === answer) last.count++;
    else runs.push({ answer, count: 1, firstAtMs: at });
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return runs;
}

// ---------------------------------------------------------------------------
// HAProxy

export interface HaproxyConfigInput {
  frontendPort: number;
  statsPort: number;
  replicaPorts: number[];
}

/** The server name of replica i in both backends (and in X-Served-By). */
export const replicaName = (i: number) => `r${i}`;

/** HAProxy 2.6's configuration for the cluster; every directive is explained in docs/replicas.md. */
export function haproxyConfig({ frontendPort, statsPort, replicaPorts }: HaproxyConfigInput): string {
  const { interMs, downinterMs, fall, rise } = HEALTH_CHECK;
  const servers = replicaPorts.map((port, i) => `  server ${replicaName(i)} 127.0.0.1:${port}`).join('\n');
  return `# Generated by test/helpers/cluster.ts; explained in docs/replicas.md.
global
  log stdout format raw local0
  nbthread 1
  maxconn 512

defaults cluster
  mode http
  log global
  option httplog
  option dontlog-normal
  option log-health-checks
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout http-request 10s
  timeout http-keep-alive 5s
  timeout check 1s
  retries 3
  option redispatch 1
  retry-on conn-failure

frontend gateway
  bind 127.0.0.1:${frontendPort}
  acl jwks path /.well-known/jwks.json
  use_backend keys if jwks
  default_backend replicas
  http-after-response set-header X-Served-By %[srv_name]

backend replicas
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server check inter ${interMs}ms downinter ${downinterMs}ms fall ${fall} rise ${rise}
${servers}

backend keys
  balance roundrobin
  option httpchk GET /healthz
  http-check expect status 200
  default-server check inter ${interMs}ms downinter ${downinterMs}ms fall ${fall} rise ${rise}
${servers}

frontend stats
  bind 127.0.0.1:${statsPort}
  stats enable
  stats uri /stats
`;
}

/** `backend/server` → status, from HAProxy's stats page (CSV): UP, DOWN, "UP 1/2" (going down), "DOWN 1/2" (going up), MAINT… */
export async function haproxyStatus(statsUrl: string): Promise<Record<string, string>> {
  const response = await fetch(`${statsUrl};csv`);
  const text = await response.text();
  const [header, ...rows] = text.trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const px = columns.indexOf('pxname');
  const sv = columns.indexOf('svname');
  const st = columns.indexOf('status');
  const status: Record<string, string> = {};
  for (const row of rows) {
    const cells = row.split(',');
    if (cells[sv] === 'FRONTEND' || cells[sv] === 'BACKEND') continue;
    status[`${cells[px]}/${cells[sv]}`] = cells[st];
  }
  return status;
}

/** One line of HAProxy's HTTP log (`option httplog`). */
export interface HaproxyLogLine {
  /** `backend/server`, e.g. replicas/r1; `replicas/<NOSRV>` when no server was up. */
  server: string;
  /** -1 when no response was received. */
  status: number;
  /** The session state at disconnection (section 8.5 of the manual): `----` is a normal end, `SH--` a server that closed before its headers… */
  termination: string;
  /** Connection retries; `redispatched` when the last one went to another server. */
  retries: number;
  redispatched: boolean;
  request: string;
  line: string;
}

const HTTPLOG = /^\S+ \[[^\]]+\] \S+ (\S+) \S+ (-?\d+) \S+ \S+ \S+ (\S{4}) \d+\/\d+\/\d+\/\d+\/(\+?)(\d+) \S+ "([^"]*)"/;

export function parseRequestLog(output: string): HaproxyLogLine[] {
  const lines: HaproxyLogLine[] = [];
  for (const line of output.split('\n')) {
    const match = HTTPLOG.exec(line);
    if (!match) continue;
    const [, server, status, termination, plus, retries, request] = match;
    lines.push({ server, status: Number(status), termination, retries: Number(retries), redispatched: plus === '+', request, line });
  }
  return lines;
}

/** HAProxy's request log in a few lines: what was retried or redispatched, and every error in full. */
export function describeRequestLog(lines: HaproxyLogLine[], keep = 20): string {
  const errors = lines.filter((l) => l.termination !== '----' || l.status < 200 || l.status >= 500);
  const retried = lines.filter((l) => l.retries > 0);
  const byState: Record<string, number> = {};
  for (const l of errors) byState[`${l.status} ${l.termination}`] = (byState[`${l.status} ${l.termination}`] ?? 0) + 1;
  return [
    `HAProxy: ${retried.length} request(s) retried (${retried.filter((l) => l.redispatched).length} redispatched to another replica, ` +
      `${retried.filter((l) => l.status >= 200 && l.status < 300 && l.termination === '----').length} of them answered 2xx); ` +
      `${errors.length} ended in error${errors.length ? ` (${Object.entries(byState).map(([k, n]) => `${k}: ${n}`).join(', ')})` : ''}`,
    ...errors.slice(0, keep).map((l) => `  ${l.line}`),
  ].join('\n');
}

// ---------------------------------------------------------------------------
// The cluster

export interface Replica {
  index: number;
  /** Its server name in HAProxy and in X-Served-By. */
  name: string;
  port: number;
  /** Its own URL, bypassing HAProxy. */
  url: string;
  /** The process running now (undefined while stopped). */
  process: Proc | undefined;
  /** Every process this replica has had, the first first. */
  generations: Proc[];
  /** The output of every generation. */
  output(): string;
}

export interface StopOptions {
  /** Default SIGTERM. */
  signal?: NodeJS.Signals;
  /** SIGKILL if it has not exited by then: a guard against a hang, not a timing assertion (default 60 s). */
  killAfterMs?: number;
}

export interface StopResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From SIGTERM to the process's exit. */
  exitMs: number;
  /** What the replica's own /readyz answered, probed on fresh connections, from SIGTERM until it exited. */
  readyz: ProbeRun[];
  /** Whether /readyz answered 503 before the port stopped answering at all. */
  notReadyBeforeClosing: boolean;
}

/** Milliseconds from a replica's spawn until it listened, until its /readyz answered 200, and until HAProxy had it UP. */
export interface StartTimes {
  listeningMs: number;
  readyMs: number;
  upMs: number;
}

export interface RestartResult extends StopResult, StartTimes {}

export interface Cluster {
  mode: AuthModeName;
  dir: string;
  /** HAProxy's frontend: what clients use. */
  url: string;
  /** HAProxy's stats page (CSV: `${statsUrl};csv`). */
  statsUrl: string;
  haproxy: Proc;
  haproxyConfig: string;
  replicas: Replica[];
  subgraphs: { name: string; url: string; process: Proc }[];
  keysDir: string;
  subgraphsFile: string;
  redisUrl: string;
  /** The environment every replica runs with (PORT aside). */
  replicaEnv: Record<string, string>;
  client(url?: string): Client;
  /** HAProxy's view: `backend/server` → status. */
  status(): Promise<Record<string, string>>;
  /** Resolves when HAProxy has replica i UP (`up`) or DOWN in the replicas backend. */
  waitForHaproxy(i: number, state: 'UP' | 'DOWN'): Promise<void>;
  /** SIGTERM (or `signal`), and waits for its exit, probing its /readyz meanwhile. */
  stopReplica(i: number, options?: StopOptions): Promise<StopResult>;
  /** A new process on the same port with the same env; resolves when it is ready and HAProxy has it up. */
  startReplica(i: number): Promise<StartTimes>;
  /** stopReplica, then startReplica. */
  restartReplica(i: number, options?: StopOptions): Promise<RestartResult>;
  /**
   * HAProxy's request log: with `option dontlog-normal` only the requests that
   * went wrong (5xx, errors, timeouts) or needed a retry or a redispatch.
   */
  requestLog(): HaproxyLogLine[];
  /** Every process's output, labelled, for a failure message (the last `perProcess` characters of each). */
  output(perProcess?: number): string;
  close(): Promise<void>;
}

/** An Ed25519 PKCS#8 PEM key, owner-only, named and written the way the gateway writes its first one. */
export function provisionSigningKey(keysDir: string): string {
  fs.mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  const file = path.join(keysDir, `ed25519-${new Date().toISOString().replace(/[:.]/g, '-')}.pem`);
  fs.writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o600, flag: 'wx' });
  return file;
}

const TSX_ENTRY = (entry: string) => [...TSX, path.join(ROOT, entry)];

/** The environment the services start from: this process's, without what would make them behave unlike a deployment. */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // vitest sets NODE_ENV=test; a deployed replica does not run with it (Apollo Server, for one,
  // skips its own SIGINT/SIGTERM handlers under NODE_ENV=test). `options.env` may set it.
  delete env.NODE_ENV;
  delete env.VITEST;
  delete env.VITEST_POOL_ID;
  delete env.VITEST_WORKER_ID;
  return env;
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  if (!hasHaproxy) throw new Error(`${HAPROXY} is missing (apt-get install -y haproxy; .ci/run installs it)`);
  const mode = options.mode ?? 'token';
  const replicaCount = options.replicas ?? 3;
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const dir = tempDir('fag-cluster-');
  const keysDir = path.join(dir, 'keys');
  const subgraphsFile = path.join(dir, 'subgraphs.json');
  const configFile = path.join(dir, 'haproxy.cfg');

  const subgraphs: Cluster['subgraphs'] = [];
  const replicas: Replica[] = [];
  let haproxy: Proc | undefined;
  let redis: PrivateRedis | undefined;
  let closed = false;

  const allProcs = (): Proc[] => [...(haproxy ? [haproxy] : []), ...replicas.flatMap((r) => r.generations), ...subgraphs.map((s) => s.process)];
  const output = (perProcess = 4000): string =>
    allProcs()
      .map((p) => `--- ${p.name} (pid ${p.pid}, ${describeExit(p.exit)}) ---\n${p.output().slice(-perProcess).trimEnd()}`)
      .join('\n');

  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.all(allProcs().map((p) => stopProcess(p)));
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    redis = await privateRedis();
    const frontendPort = await freePort();
    const statsPort = await freePort();
    const url = `http://127.0.0.1:${frontendPort}`;
    const statsUrl = `http://127.0.0.1:${statsPort}/stats`;

    const subgraphPorts: number[] = [];
    for (const _ of SUBGRAPH_NAMES) subgraphPorts.push(await freePort());
    fs.writeFileSync(subgraphsFile, JSON.stringify(SUBGRAPH_NAMES.map((name, i) => ({ name, url: `http://127.0.0.1:${subgraphPorts[i]}/graphql` })), null, 2));

    const shared: Record<string, string> = {
      AUTH_MODE: mode,
      GATEWAY_ISSUER: url,
      GATEWAY_JWKS_URL: `${url}/.well-known/jwks.json`,
      SESSION_STORE: redis.url,
      LOG_LEVEL: 'warn',
      // orders has a key of its own (it may call payments): in this cluster's folder, not the repository's.
      SUBGRAPH_KEY_FILE: path.join(dir, 'subgraph-key.pem'),
    };

    // The subgraphs first: a replica composes its supergraph from them.
    SUBGRAPH_NAMES.forEach((name, i) => {
      const proc = startProcess(name, process.execPath, TSX_ENTRY(`subgraphs/${name}/main.ts`), {
        cwd: ROOT,
        env: { ...baseEnv(), ...shared, PORT: String(subgraphPorts[i]), ...options.subgraphEnv },
        ipc: true,
      });
      subgraphs.push({ name, url: `http://127.0.0.1:${subgraphPorts[i]}`, process: proc });
    });

    const replicaEnv: Record<string, string> = {
      ...shared,
      GATEWAY_KEYS_DIR: keysDir,
      SUBGRAPHS_FILE: subgraphsFile,
      SESSION_SECRET: randomBytes(32).toString('base64url'),
      SUBGRAPH_POLL_INTERVAL: '0',
      ...options.env,
    };
    for (let i = 0; i < replicaCount; i++) {
      const port = await freePort();
      const replica: Replica = {
        index: i,
        name: replicaName(i),
        port,
        url: `http://127.0.0.1:${port}`,
        process: undefined,
        generations: [],
        output: () => replica.generations.map((p) => p.output()).join(''),
      };
      replicas.push(replica);
    }

    // One signing key in the shared folder before any replica starts, as an operator provisions it:
    // replicas started together on an empty folder would each generate their own (signing-keys.ts)
    // and publish different key sets.
    provisionSigningKey(keysDir);

    const config = haproxyConfig({ frontendPort, statsPort, replicaPorts: replicas.map((r) => r.port) });
    fs.writeFileSync(configFile, config);
    haproxy = startProcess('haproxy', HAPROXY, ['-db', '-f', configFile], { cwd: dir, env: baseEnv() });

    const spawnReplica = (i: number): Proc => {
      const replica = replicas[i];
      const proc = startProcess(`${replica.name}#${replica.generations.length + 1}`, process.execPath, TSX_ENTRY('gateway/main.ts'), {
        cwd: ROOT,
        env: { ...baseEnv(), ...replicaEnv, PORT: String(replica.port) },
        ipc: true,
      });
      replica.process = proc;
      replica.generations.push(proc);
      return proc;
    };

    /** A process the cluster needs has died: no point waiting any longer. */
    const notExited = (...procs: Proc[]) => {
      for (const proc of procs) {
        if (proc.exit) throw new Error(`${proc.name} exited (${describeExit(proc.exit)}):\n${proc.output().slice(-3000)}`);
      }
    };
    const essentials = () => [haproxy!, ...subgraphs.map((s) => s.process)];

    /**
     * Retries `check` until it answers undefined (done); a string is why not yet, and the last
     * one is the error after `readyTimeoutMs`. A throw (a needed process died) ends it at once.
     */
    const until = async (check: () => Promise<string | undefined>, everyMs = 50) => {
      const deadline = Date.now() + readyTimeoutMs;
      for (;;) {
        const notYet = await check();
        if (notYet === undefined) return;
        if (Date.now() > deadline) throw new Error(`gave up after ${readyTimeoutMs} ms: ${notYet}`);
        await new Promise((resolve) => setTimeout(resolve, everyMs));
      }
    };

    const status = () => haproxyStatus(statsUrl);
    const waitForHaproxy = async (i: number, state: 'UP' | 'DOWN') => {
      const name = replicaName(i);
      // The keys backend follows /healthz: it has a replica up as soon as it listens.
      const wanted = state === 'UP' ? [`replicas/${name}`, `keys/${name}`] : [`replicas/${name}`];
      await until(async () => {
        notExited(haproxy!);
        const now = await status().catch((error: Error) => ({ error: error.message }) as Record<string, string>);
        const wrong = wanted.filter((key) => now[key] !== state);
        return wrong.length === 0 ? undefined : `HAProxy has ${wrong.map((key) => `${key} ${now[key] ?? 'missing'}`).join(', ')}; waiting for ${state}`;
      });
    };

    /** Ready on its own port, and up in HAProxy's eyes. */
    /** Ready on its own port, and up in HAProxy's eyes; how long each step took from `since`. */
    const waitReady = async (i: number, since = Date.now()): Promise<StartTimes> => {
      const replica = replicas[i];
      const proc = replica.process!;
      let listeningMs: number | undefined;
      await until(async () => {
        notExited(proc, ...essentials());
        const answer = await probe(`${replica.url}/readyz`);
        if (typeof answer === 'number') listeningMs ??= Date.now() - since;
        return answer === 200 ? undefined : `${replica.name} /readyz: ${answer}\n${proc.output().slice(-2000)}`;
      });
      const readyMs = Date.now() - since;
      await waitForHaproxy(i, 'UP');
      return { listeningMs: listeningMs ?? readyMs, readyMs, upMs: Date.now() - since };
    };

    for (let i = 0; i < replicaCount; i++) spawnReplica(i);
    await Promise.all(replicas.map((_, i) => waitReady(i)));

    // And through the frontend: every replica answers there.
    const seen = new Set<string>();
    await until(async () => {
      notExited(...essentials());
      const response = await fetch(`${url}/readyz`);
      await response.arrayBuffer();
      if (response.status === 200) seen.add(response.headers.get(SERVED_BY) ?? '');
      const missing = replicas.filter((r) => !seen.has(r.name)).map((r) => r.name);
      return missing.length === 0 ? undefined : `not yet served through the frontend by ${missing.join(', ')}`;
    }, 10);

    const stopReplica = async (i: number, { signal = 'SIGTERM', killAfterMs = 60_000 }: StopOptions = {}): Promise<StopResult> => {
      const replica = replicas[i];
      const proc = replica.process;
      if (!proc || proc.exit) throw new Error(`${replica.name} is not running (${describeExit(proc?.exit)})`);
      const started = Date.now();
      proc.child.kill(signal);
      // A guard against a replica that never exits, not a timing assertion.
      const guard = setTimeout(() => proc.child.kill('SIGKILL'), killAfterMs);
      const [exit, readyz] = await Promise.all([proc.exited, probeUntil(`${replica.url}/readyz`, proc.exited)]);
      clearTimeout(guard);
      const exitMs = Date.now() - started;
      replica.process = undefined;
      const firstError = readyz.findIndex((run) => typeof run.answer !== 'number');
      const first503 = readyz.findIndex((run) => run.answer === 503);
      return {
        ...exit,
        exitMs,
        readyz,
        notReadyBeforeClosing: first503 !== -1 && (firstError === -1 || first503 < firstError),
      };
    };

    const startReplica = async (i: number) => {
      if (replicas[i].process && !replicas[i].process!.exit) throw new Error(`${replicas[i].name} is already running`);
      const started = Date.now();
      spawnReplica(i);
      return waitReady(i, started);
    };

    return {
      mode,
      dir,
      url,
      statsUrl,
      haproxy,
      haproxyConfig: config,
      replicas,
      subgraphs,
      keysDir,
      subgraphsFile,
      redisUrl: redis.url,
      replicaEnv,
      client: (base = url) => new Client(base),
      status,
      waitForHaproxy,
      stopReplica,
      startReplica,
      async restartReplica(i, stopOptions) {
        const stopped = await stopReplica(i, stopOptions);
        return { ...stopped, ...(await startReplica(i)) };
      },
      requestLog: () => parseRequestLog(haproxy!.output()),
      output,
      close,
    };
  } catch (error) {
    const message = `${(error as Error).message}\n${output()}`;
    await close();
    throw new Error(`the cluster did not start: ${message}`, { cause: error });
  }
}

// ---------------------------------------------------------------------------
// Load

export interface LoadAnswer {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or undefined (empty or not JSON: see `text`). */
  body: any;
  text: string;
}

export interface LoadRequest {
  /** Path on the load's base URL, e.g. /graphql. */
  path: string;
  init: RequestInit;
  /** undefined when the answer is what was expected, else why not (a 2xx answer can still fail the check). */
  check(answer: LoadAnswer): string | undefined;
}

export interface LoadFailure {
  /** Milliseconds after the load started. */
  atMs: number;
  /** The HTTP status, or undefined for a network error or a timeout. */
  status?: number;
  /** The stable code in the body (error.code or errors[0].extensions.code), or the network error's code. */
  code?: string;
  /** The replica that answered, from X-Served-By, when known. */
  replica?: string;
  reason: string;
}

export interface LoadStats {
  sent: number;
  ok: number;
  failed: number;
  /** Failures by kind: `status 502`, `network UND_ERR_SOCKET`, `graphql DOWNSTREAM_SERVICE_ERROR`, `timeout`… */
  kinds: Record<string, number>;
  /** The first failures, in order. */
  failures: LoadFailure[];
  /** Answers by replica (X-Served-By), failed or not. */
  servedBy: Record<string, number>;
  durationMs: number;
}

export interface Load {
  stats(): LoadStats;
  /** Stops sending, waits for the requests in flight, and returns the final counts. */
  stop(): Promise<LoadStats>;
}

export interface LoadOptions {
  /** Requests kept in flight (closed loops: each sends its next request when the last one ends). */
  concurrency: number;
  request: LoadRequest | (() => LoadRequest);
  /** Per-request timeout: a guard against hangs, counted as a failure (default 10 s). */
  timeoutMs?: number;
  /** How many failures to keep in detail (default 10). */
  keepFailures?: number;
}

/** The stable code of an error body, either shape. */
function codeOf(body: any): string | undefined {
  return body?.error?.code ?? body?.errors?.[0]?.extensions?.code;
}

function networkCode(error: unknown): string {
  const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'TIMEOUT';
  return e?.cause?.code ?? e?.code ?? e?.cause?.message ?? e?.message ?? String(error);
}

/** The error and, for a socket closed under the request, which connection it was (to find it in HAProxy's log) and what had crossed it. */
function networkReason(error: unknown): string {
  const e = error as Error & { cause?: Error & { socket?: { localPort?: number; bytesWritten?: number; bytesRead?: number } } };
  const socket = e?.cause?.socket;
  const where = socket ? ` (client port ${socket.localPort}, ${socket.bytesWritten} bytes written, ${socket.bytesRead} read on the connection)` : '';
  return `${e?.message ?? String(error)}${e?.cause?.message ? `: ${e.cause.message}` : ''}${where}`;
}

export function startLoad(baseUrl: string, options: LoadOptions): Load {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const keep = options.keepFailures ?? 10;
  const started = Date.now();
  const stats: LoadStats = { sent: 0, ok: 0, failed: 0, kinds: {}, failures: [], servedBy: {}, durationMs: 0 };
  let stopping = false;

  const fail = (kind: string, failure: Omit<LoadFailure, 'atMs'>) => {
    stats.failed++;
    stats.kinds[kind] = (stats.kinds[kind] ?? 0) + 1;
    if (stats.failures.length < keep) stats.failures.push({ atMs: Date.now() - started, ...failure });
  };

  const once = async () => {
    const request = typeof options.request === 'function' ? options.request() : options.request;
    stats.sent++;
    let response: Response;
    let text: string;
    try {
      response = await fetch(new URL(request.path, baseUrl), { ...request.init, signal: AbortSignal.timeout(timeoutMs) });
      text = await response.text();
    } catch (error) {
      const code = networkCode(error);
      fail(code === 'TIMEOUT' ? 'timeout' : `network ${code}`, { code, reason: networkReason(error) });
      return;
    }
    const replica = response.headers.get(SERVED_BY) || undefined;
    if (replica) stats.servedBy[replica] = (stats.servedBy[replica] ?? 0) + 1;
    let body: any;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    const answer: LoadAnswer = { status: response.status, headers: response.headers, body, text };
    if (response.status < 200 || response.status > 299) {
      fail(`status ${response.status}`, { status: response.status, code: codeOf(body), replica, reason: text.slice(0, 200) });
      return;
    }
    const wrong = request.check(answer);
    if (wrong !== undefined) {
      const code = codeOf(body);
      fail(code ? `graphql ${code}` : 'unexpected answer', { status: response.status, code, replica, reason: wrong });
      return;
    }
    stats.ok++;
  };

  const loop = async () => {
    while (!stopping) await once();
  };
  const loops = Array.from({ length: options.concurrency }, () => loop());
  const snapshot = (): LoadStats => ({
    ...stats,
    kinds: { ...stats.kinds },
    failures: [...stats.failures],
    servedBy: { ...stats.servedBy },
    durationMs: Date.now() - started,
  });
  return {
    stats: snapshot,
    async stop() {
      stopping = true;
      await Promise.all(loops);
      return snapshot();
    },
  };
}

/** A GraphQL POST whose answer must have no `errors` and data that `expected` accepts. */
export function graphqlRequest(query: string, { headers = {}, expected }: { headers?: Record<string, string>; expected: (data: any) => boolean }): LoadRequest {
  return {
    path: '/graphql',
    init: { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) },
    check(answer) {
      if (!answer.body || typeof answer.body !== 'object') return `not a JSON body: ${answer.text.slice(0, 200)}`;
      if (answer.body.errors?.length) return `errors: ${JSON.stringify(answer.body.errors).slice(0, 300)}`;
      if (!expected(answer.body.data)) return `unexpected data: ${JSON.stringify(answer.body.data).slice(0, 300)}`;
      return undefined;
    },
  };
}

/** One line per count and the first failures, for an assertion's message. */
export function describeLoad(stats: LoadStats): string {
  const kinds = Object.entries(stats.kinds).map(([kind, n]) => `${kind}: ${n}`).join(', ') || 'none';
  const first = stats.failures
    .map((f) => `  +${f.atMs} ms ${f.status ?? '-'} ${f.code ?? '-'} via ${f.replica ?? '?'}: ${f.reason.replace(/\s+/g, ' ').slice(0, 160)}`)
    .join('\n');
  return `sent ${stats.sent}, ok ${stats.ok}, failed ${stats.failed} in ${stats.durationMs} ms (failure kinds: ${kinds}; served by ${JSON.stringify(stats.servedBy)})${first ? `\nfirst failures:\n${first}` : ''}`;
}
