/**
 * `npm run soak`: does memory plateau under many identities? (Too long for
 * `npm test`; run it on a quiet machine.)
 *
 * The demo runs as processes in token mode and also accepts access tokens
 * from a local external issuer (OIDC_ISSUER + OIDC_AUDIENCE + OIDC_JWKS_URL,
 * as a deployment with its own provider would). Each of `--identities`
 * distinct identities has its own token; `--connections` clients cycle
 * through them for `--seconds`, with a query that reaches every subgraph
 * (and, for the identities that are Alice with scopes of their own, payments
 * too), so every per-identity cache — verified access tokens, identity
 * tokens, verified identity tokens, exchanged tokens — sees far more
 * identities than its bound. A warm-up sends each identity once (the caches
 * reach their bounds); then, for `--seconds`, every `--sample` seconds it
 * reads each process's RSS and heap from its /metrics.
 *
 * Flat means, for every process: in the last third of the run RSS sets no
 * new high — its peak is at most max(5 %, 8 MiB) above the first two thirds'
 * — and the live heap (what survives a full collection: the processes run
 * with V8's trace-gc, soak/trace-gc.cjs) is at most max(5 %, 4 MiB) above the middle third's, by
 * their medians. The last line is the figure.
 */
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { launchStack, SUBGRAPH_NAMES, type Launched } from './lib/launch.js';
import { median } from './lib/stats.js';

const QUERY = '{ me { id orders { id payment { status } } } products { name reviews { body mine author { name orders { id } } } } }';
const ISSUER_AUDIENCE = 'fedgw-soak';

interface Options {
  identities: number;
  seconds: number;
  connections: number;
  sampleSeconds: number;
}

interface Sample {
  at: number;
  rss: number;
  heap: number;
  /** The heap V8 has committed (used or not): what its share of RSS follows. */
  heapTotal: number;
  /** Memory outside the JS heap that V8 knows of (Buffers, ArrayBuffers). */
  external: number;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      identities: { type: 'string', default: '20000' },
      seconds: { type: 'string', default: '300' },
      connections: { type: 'string', default: '16' },
      sample: { type: 'string', default: '2' },
    },
  });
  const number = (name: string, value: string, min: number) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) throw new Error(`--${name}: an integer ≥ ${min} (got ${value})`);
    return parsed;
  };
  return {
    identities: number('identities', values.identities!, 1),
    seconds: number('seconds', values.seconds!, 30),
    connections: number('connections', values.connections!, 1),
    sampleSeconds: number('sample', values.sample!, 1),
  };
}

/** A loopback "external issuer": its JWKS over HTTP, and the tokens it signs. */
async function externalIssuer(identities: number, lifetimeSeconds: number) {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'soak', alg: 'EdDSA', use: 'sig' };
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const tokens = await Promise.all(Array.from({ length: identities }, (_, i) => tokenFor(privateKey, origin, i, lifetimeSeconds)));
  return { origin, tokens, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Every tenth identity is Alice with a scope of its own (a distinct identity to every cache, and she has orders, so payments is called); the rest are users of their own. */
function tokenFor(key: CryptoKey, issuer: string, i: number, lifetimeSeconds: number): Promise<string> {
  const [sub, scope] = i % 10 === 0 ? ['u1', `soak:${i}`] : [`soak-user-${i}`, 'read'];
  return new SignJWT({ scope })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'soak', typ: 'at+jwt' })
    .setIssuer(issuer)
    .setAudience(ISSUER_AUDIENCE)
    .setSubject(sub)
    .setJti(`soak-${i}`)
    .setIssuedAt()
    .setExpirationTime(`${lifetimeSeconds}s`)
    .sign(key);
}

/** RSS and heap used, from prom-client's default process metrics. */
async function sample(url: string): Promise<Omit<Sample, 'at'>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: value('process_resident_memory_bytes'), heap: value('nodejs_heap_size_used_bytes'), heapTotal: value('nodejs_heap_size_total_bytes'), external: value('nodejs_external_memory_bytes') };
}

interface Load {
  requests: number;
  failures: number;
  firstFailure?: string;
}

/** Clients cycling through the tokens until `until` (ms since the epoch) or after `count` requests. */
async function runLoad(gatewayUrl: string, tokens: string[], connections: number, stop: { until?: number; count?: number }): Promise<Load> {
  const load: Load = { requests: 0, failures: 0 };
  let next = 0;
  const body = JSON.stringify({ query: QUERY });
  const more = () => (stop.until === undefined || Date.now() < stop.until) && (stop.count === undefined || next < stop.count);
  const client = async () => {
    while (more()) {
      const token = tokens[next++ % tokens.length]!;
      const response = await fetch(`${gatewayUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body }).catch((error: Error) => error);
      load.requests++;
      const failure = response instanceof Error ? response.message : response.status !== 200 ? `HTTP ${response.status}` : (await response.json()).errors ? 'GraphQL errors' : undefined;
      if (failure) {
        load.failures++;
        load.firstFailure ??= failure;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, client));
  return load;
}

const MiB = 1024 * 1024;


/** The live heap after each full collection (V8's Mark-Compact, from `--trace-gc`), by process, in bytes, at seconds into the run. */
type Collections = Map<string, { at: number; live: number }[]>;

/** `[orders  ] [123:0x5d1c000]   5230 ms: Mark-Compact 35.1 (60.2) -> 28.3 (61.0) MB, …` as the launcher prefixes a child's line. */
const MARK_COMPACT = /^\[(\S+)\s*\] \[\d+:0x[0-9a-f]+\]\s+\d+ ms: Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \(/;

function followCollections(stack: Launched, names: string[], since: () => number): Collections {
  const collections: Collections = new Map(names.map((name) => [name, []]));
  readline.createInterface({ input: stack.launcher.stdout! }).on('line', (line) => {
    const match = MARK_COMPACT.exec(line);
    if (match) collections.get(match[1]!)?.push({ at: since(), live: Number(match[2]) * MiB });
  });
  return collections;
}

/**
 * Did memory plateau? Single samples swing by tens of MiB both ways: the
 * heap anywhere between two collections, RSS wherever V8 and the allocator
 * left their committed pages. So the heap is judged by what survives a full
 * collection (the median after each Mark-Compact), last third against middle
 * third; RSS by its peak: a plateau sets no new high in the last third.
 */
function growth(samples: Sample[], collections: { at: number; live: number }[], seconds: number) {
  const third = Math.floor(samples.length / 3);
  const rssPeak = (part: Sample[]) => Math.max(...part.map((s) => s.rss));
  const rssFrom = rssPeak(samples.slice(0, 2 * third));
  const rss = rssPeak(samples.slice(2 * third)) - rssFrom;
  const liveIn = (from: number, to: number) => collections.filter((c) => c.at >= from && c.at < to).map((c) => c.live);
  const [middle, last] = [liveIn(seconds / 3, (2 * seconds) / 3), liveIn((2 * seconds) / 3, Infinity)];
  const heapFrom = middle.length > 0 ? median(middle) : NaN;
  const heap = last.length > 0 ? median(last) - heapFrom : NaN;
  const collected = `${middle.length}+${last.length}`;
  // No full collection in a third: nothing to judge the live heap by there, and nothing grew enough to need one.
  const heapFlat = Number.isNaN(heap) || heap <= Math.max(0.05 * heapFrom, 4 * MiB);
  return { rss, heap, rssFrom, heapFrom, collected, flat: rss <= Math.max(0.05 * rssFrom, 8 * MiB) && heapFlat };
}

async function main(): Promise<void> {
  const opts = options();
  console.log(`soak: minting ${opts.identities} access tokens at a loopback external issuer`);
  const issuer = await externalIssuer(opts.identities, 2 * opts.seconds + 1800);
  let stack: Launched | undefined;
  try {
    stack = await launchStack('token', {
      OIDC_ISSUER: issuer.origin,
      OIDC_AUDIENCE: ISSUER_AUDIENCE,
      OIDC_JWKS_URL: `${issuer.origin}/jwks.json`,
      LOG_LEVEL: 'warn',
      // Production's behaviour: no auth trace in the answers.
      AUTH_TRACE: 'false',
      // Each full collection's surviving heap, on every process's stdout.
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${path.join(import.meta.dirname, 'soak', 'trace-gc.cjs')}`.trim(),
    });
    const processes = ['gateway', ...SUBGRAPH_NAMES, 'payments'].map((name, i) => ({ name, url: `http://127.0.0.1:${stack!.ports[i]}` }));
    console.log(`soak: ${processes.length} processes up; warming up: every identity once`);
    const warmUp = await runLoad(stack.gatewayUrl, issuer.tokens, opts.connections, { count: issuer.tokens.length });
    console.log(`soak: warm-up ${warmUp.requests} requests (${warmUp.failures} failed); ${opts.connections} clients for ${opts.seconds} s, sampling every ${opts.sampleSeconds} s`);
    const samples = new Map<string, Sample[]>(processes.map((p) => [p.name, []]));
    const started = Date.now();
    const collections = followCollections(stack, processes.map((p) => p.name), () => (Date.now() - started) / 1000);
    const sampler = setInterval(() => {
      for (const p of processes) void sample(p.url).then((s) => samples.get(p.name)!.push({ at: (Date.now() - started) / 1000, ...s }), () => {});
    }, opts.sampleSeconds * 1000);
    const load = await runLoad(stack.gatewayUrl, issuer.tokens, opts.connections, { until: started + opts.seconds * 1000 });
    load.failures += warmUp.failures;
    clearInterval(sampler);
    report(opts, load, samples, collections);
  } finally {
    await stack?.stop();
    await issuer.close();
  }
}

function report(opts: Options, load: Load, samples: Map<string, Sample[]>, collections: Collections): void {
  console.log(`\n${load.requests} requests, ${load.failures} failed${load.firstFailure ? ` (first: ${load.firstFailure})` : ''}\n`);
  console.log('| process | RSS peak, first two thirds | RSS peak, last third | live heap after full GC, middle third | live heap, last third | full GCs (middle+last) | flat |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
  const results = [...samples].map(([name, series]) => ({ name, ...growth(series.filter((s) => s.at <= opts.seconds), collections.get(name) ?? [], opts.seconds) }));
  for (const r of results) {
    const mib = (value: number, text: string) => (Number.isNaN(value) ? '– (no full GC)' : `${text} MiB`);
    console.log(`| ${r.name} | ${(r.rssFrom / MiB).toFixed(1)} MiB | ${signed(r.rss / MiB)} MiB | ${mib(r.heapFrom, (r.heapFrom / MiB).toFixed(1))} | ${mib(r.heap, signed(r.heap / MiB))} | ${r.collected} | ${r.flat ? 'yes' : 'NO'} |`);
  }
  console.log(`\nRSS low–high / heap floor / V8 heap committed / external, MiB, over each sixth of the run:`);
  for (const [name, series] of samples) console.log(`${name.padEnd(9)} ${sixths(series).join('  ')}`);
  const worstRss = results.reduce((a, b) => (b.rss / b.rssFrom > a.rss / a.rssFrom ? b : a));
  const judged = results.filter((r) => !Number.isNaN(r.heap));
  const worstHeap = judged.reduce((a, b) => (b.heap / b.heapFrom > a.heap / a.heapFrom ? b : a), judged[0]!);
  const flat = results.every((r) => r.flat) && load.failures === 0;
  process.exitCode = flat ? 0 : 1;
  console.log(
    `\nsoak: ${opts.identities} identities, ${opts.seconds} s, ${load.requests} requests (${load.failures} failed); ` +
      `largest growth in the last third: RSS peak ${percent(worstRss.rss, worstRss.rssFrom)} (${worstRss.name}), ` +
      `live heap ${judged.length ? `${percent(worstHeap.heap, worstHeap.heapFrom)} (${worstHeap.name})` : 'n/a (no full collection)'} — ${flat ? 'flat' : 'NOT flat'}`,
  );
}

/** The shape of a series: over each sixth of the run, RSS's low and high, the heap floor, and the latest committed heap and external memory. */
function sixths(series: Sample[]): string[] {
  const parts: string[] = [];
  for (let sixth = 0; sixth < 6; sixth++) {
    const part = series.slice(Math.floor((sixth * series.length) / 6), Math.floor(((sixth + 1) * series.length) / 6));
    if (part.length === 0) continue;
    const last = part.at(-1)!;
    const mib = (values: number[], pick: (...v: number[]) => number) => (pick(...values) / MiB).toFixed(0);
    parts.push(`${mib(part.map((s) => s.rss), Math.min)}–${mib(part.map((s) => s.rss), Math.max)}/${mib(part.map((s) => s.heap), Math.min)}/${(last.heapTotal / MiB).toFixed(0)}/${(last.external / MiB).toFixed(0)}`);
  }
  return parts;
}

const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
const percent = (delta: number, from: number) => `${signed((100 * delta) / from)} %`;

main().catch((error: unknown) => {
  console.error(`soak: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
