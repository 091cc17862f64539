/**
 * Reads a V8 CPU profile written by `node --cpu-prof` and says where the
 * time went: self time per function and per "area" (an npm package, node
 * core, GC, or one of this project's files), counted only inside the
 * measured load window when one is given.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './child.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  name: string;
  where: string;
  area: string;
  selfMs: number;
  share: number;
  msPerRequest: number;
}

export interface AreaTime {
  area: string;
  selfMs: number;
  share: number;
  msPerRequest: number;
}

/**
 * What the gateway spends its time for. A sample counts for the innermost
 * frame on its stack that belongs to a concern (so graphql's visitor called
 * by the authorization filter counts as authorization); a stack with none
 * is the work every federated gateway does, (a) included.
 */
export const CONCERNS = ['authentication', 'authorization', 'request limits', 'observability', 'federation, GraphQL and HTTP'] as const;
export type Concern = (typeof CONCERNS)[number];

const CONCERN_PACKAGES: Record<string, Concern> = {
  jose: 'authentication',
  'express-session': 'authentication',
  'connect-redis': 'authentication',
  redis: 'authentication',
  '@redis/client': 'authentication',
  'better-sqlite3': 'authentication',
  'cookie-signature': 'authentication',
  'uid-safe': 'authentication',
  // Hive Gateway's JWT plugin and what it verifies with.
  '@graphql-mesh/plugin-jwt-auth': 'authentication',
  '@graphql-yoga/plugin-jwt': 'authentication',
  jsonwebtoken: 'authentication',
  jws: 'authentication',
  jwa: 'authentication',
  'ecdsa-sig-formatter': 'authentication',
  '@envelop/generic-auth': 'authorization',
  pino: 'observability',
  'pino-std-serializers': 'observability',
  'sonic-boom': 'observability',
  'prom-client': 'observability',
};

/** This project's files, by concern (paths relative to the repository). */
const CONCERN_FILES: [RegExp, Concern][] = [
  [/^(shared\/auth-modes\/|gateway\/auth\/|shared\/(jwt|verified-token-cache|identity)\.ts$)/, 'authentication'],
  [/^(gateway|shared)\/authorization\//, 'authorization'],
  [/^gateway\/request-limits\.ts$/, 'request limits'],
  [/^(shared\/observability\/|gateway\/auth-cost-plugin\.ts$)/, 'observability'],
];

function concernOf(frame: CallFrame): Concern | undefined {
  const area = areaOf(frame);
  if (area.startsWith('project ')) {
    const file = area.slice('project '.length);
    return CONCERN_FILES.find(([pattern]) => pattern.test(file))?.[1];
  }
  return CONCERN_PACKAGES[area];
}

export interface ConcernTime {
  concern: Concern;
  share: number;
  msPerRequest: number;
}

export interface ProfileSummary {
  file: string;
  /** Non-idle time the samples cover in the window, ms (wall time between samples: inflated on a busy machine). */
  busyMs: number;
  /** CPU time of the process in the window (process.cpuUsage), ms: what the shares divide up. */
  cpuMs: number;
  requests: number;
  /** Whether samples were limited to the load window (false: the whole process life). */
  windowed: boolean;
  /** Every function with self time, largest first. */
  functions: FunctionTime[];
  concerns: ConcernTime[];
  areas: AreaTime[];
}

const IDLE = '(idle)';

export function areaOf(frame: CallFrame): string {
  const { functionName, url } = frame;
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === IDLE) return IDLE;
    if (functionName === '(program)') return '(program: V8 and native code)';
    return '(native)';
  }
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [first, second] = url.slice(modules + '/node_modules/'.length).split('/');
    return first.startsWith('@') ? `${first}/${second}` : first;
  }
  // node:internal/crypto/util → node:crypto/util
  if (url.startsWith('node:')) return `node:${url.slice('node:'.length).replace(/^internal\//, '')}`;
  return `project ${relative(url)}`;
}

function relative(url: string): string {
  try {
    const file = url.startsWith('file:') ? fileURLToPath(url) : url;
    return path.relative(REPO_ROOT, file) || file;
  } catch {
    return url;
  }
}

function where(frame: CallFrame): string {
  if (!frame.url) return '';
  const modules = frame.url.lastIndexOf('/node_modules/');
  const file = modules >= 0 ? frame.url.slice(modules + '/node_modules/'.length) : relative(frame.url);
  return `${file}:${frame.lineNumber + 1}`;
}

/**
 * @param window monotonic-clock µs (process.hrtime in the profiled process)
 *   bounding the load; samples outside it (start-up, warm-up) are ignored.
 */
export function summariseProfile(
  file: string,
  load: { requests: number; cpuMs: number },
  window?: { startUs: number; endUs: number },
): ProfileSummary {
  const { requests, cpuMs } = load;
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const concernCache = new Map<number, Concern | undefined>();
  const concernOfNode = (id: number): Concern | undefined => {
    if (concernCache.has(id)) return concernCache.get(id);
    const own = concernOf(frames.get(id)!);
    const parent = parents.get(id);
    const concern = own ?? (parent === undefined ? undefined : concernOfNode(parent));
    concernCache.set(id, concern);
    return concern;
  };
  const byConcern = new Map<Concern, number>();
  // Sample i lasts until sample i+1 (as DevTools counts it).
  const timestamps: number[] = [];
  let t = profile.startTime;
  for (const delta of profile.timeDeltas) timestamps.push((t += delta));
  const windowed = window !== undefined && timestamps.some((ts) => ts >= window.startUs && ts <= window.endUs);

  const byFunction = new Map<string, { frame: CallFrame; us: number }>();
  const byArea = new Map<string, number>();
  let busyUs = 0;
  for (let i = 0; i < profile.samples.length - 1; i++) {
    if (windowed && (timestamps[i] < window!.startUs || timestamps[i] > window!.endUs)) continue;
    const frame = frames.get(profile.samples[i]);
    if (!frame) continue;
    const us = timestamps[i + 1] - timestamps[i];
    const area = areaOf(frame);
    if (area === IDLE) continue;
    busyUs += us;
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    const concern = concernOfNode(profile.samples[i]) ?? 'federation, GraphQL and HTTP';
    byConcern.set(concern, (byConcern.get(concern) ?? 0) + us);
    const key = `${frame.functionName}\0${frame.url}\0${frame.lineNumber}`;
    const entry = byFunction.get(key) ?? { frame, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
  }

  const share = (us: number) => (busyUs > 0 ? us / busyUs : 0);
  // Sample spacing is wall time; the process's own CPU time, split by the shares, is the fair per-request figure.
  const msPerRequest = (us: number) => (requests > 0 ? (share(us) * cpuMs) / requests : 0);
  return {
    file,
    busyMs: busyUs / 1000,
    cpuMs,
    requests,
    windowed,
    functions: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .map(({ frame, us }) => ({
        name: frame.functionName || '(anonymous)',
        where: where(frame),
        area: areaOf(frame),
        selfMs: us / 1000,
        share: share(us),
        msPerRequest: msPerRequest(us),
      })),
    concerns: CONCERNS.map((concern) => ({ concern, share: share(byConcern.get(concern) ?? 0), msPerRequest: msPerRequest(byConcern.get(concern) ?? 0) })),
    areas: [...byArea.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, selfMs: us / 1000, share: share(us), msPerRequest: msPerRequest(us) })),
  };
}

export interface ExtraCost {
  /** An area, or a function as `name (where)`. */
  what: string;
  extraMsPerRequest: number;
}

function extra<T>(own: T[], base: T[], key: (item: T) => string, ms: (item: T) => number): ExtraCost[] {
  const baseMs = new Map(base.map((item) => [key(item), ms(item)]));
  const ownMs = new Map(own.map((item) => [key(item), ms(item)]));
  return [...new Set([...ownMs.keys(), ...baseMs.keys()])]
    .map((what) => ({ what, extraMsPerRequest: (ownMs.get(what) ?? 0) - (baseMs.get(what) ?? 0) }))
    .sort((a, b) => b.extraMsPerRequest - a.extraMsPerRequest);
}

/** Areas where `variant` spends more CPU per request than `baseline`, largest first. */
export function extraCostByArea(variant: ProfileSummary, baseline: ProfileSummary): ExtraCost[] {
  return extra(variant.areas, baseline.areas, (a) => a.area, (a) => a.msPerRequest);
}

/** Functions on which `variant` spends more CPU per request than `baseline`, largest first. */
export function extraCostByFunction(variant: ProfileSummary, baseline: ProfileSummary): ExtraCost[] {
  const key = (f: FunctionTime) => `${f.name} (${f.where || f.area})`;
  return extra(variant.functions, baseline.functions, key, (f) => f.msPerRequest);
}

/**
 * The main thread's profile in `dir`. Node writes one file per thread,
 * `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`; the module-loader
 * hooks thread (tsx) has its own, and thread 0 is the one serving requests.
 */
export function mainThreadProfile(dir: string): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const files = fs.readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
  const main = files.filter((name) => /\.\d+\.0\.\d+\.cpuprofile$/.test(name));
  return (main.length > 0 ? main : files)
    .map((name) => path.join(dir, name))
    .sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
}
