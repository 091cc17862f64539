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
 * identities than its bound. Every `--sample` seconds it reads each
 * process's RSS and heap from its /metrics.
 *
 * Flat means: in the last third of the run no process's memory is higher
 * than in the middle third — RSS (median) by at most max(5 %, 8 MiB), the
 * heap floor (the lowest sample: what survives garbage collection) by at
 * most max(5 %, 4 MiB). The last line is the figure.
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { launchStack, SUBGRAPH_NAMES, type Launched } from './lib/launch.js';

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
  return { rss: value('process_resident_memory_bytes'), heap: value('nodejs_heap_size_used_bytes'), external: value('nodejs_external_memory_bytes') };
}

interface Load {
  requests: number;
  failures: number;
  firstFailure?: string;
}

async function runLoad(gatewayUrl: string, tokens: string[], until: number, connections: number): Promise<Load> {
  const load: Load = { requests: 0, failures: 0 };
  let next = 0;
  const body = JSON.stringify({ query: QUERY });
  const client = async () => {
    while (Date.now() < until) {
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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Growth by the end: the last third against the middle third, RSS by their
 * medians, heap by their floors (the lowest sample: what survived garbage
 * collection; a single sample's heap depends on where the collector was).
 */
function growth(samples: Sample[]) {
  const third = Math.floor(samples.length / 3);
  const [middle, last] = [samples.slice(third, 2 * third), samples.slice(2 * third)];
  const rssFrom = median(middle.map((s) => s.rss));
  const heapFrom = Math.min(...middle.map((s) => s.heap));
  const rss = median(last.map((s) => s.rss)) - rssFrom;
  const heap = Math.min(...last.map((s) => s.heap)) - heapFrom;
  return {
    rss,
    heap,
    rssFrom,
    heapFrom,
    flat: rss <= Math.max(0.05 * rssFrom, 8 * MiB) && heap <= Math.max(0.05 * heapFrom, 4 * MiB),
  };
}

async function main(): Promise<void> {
  const opts = options();
  console.log(`soak: minting ${opts.identities} access tokens at a loopback external issuer`);
  const issuer = await externalIssuer(opts.identities, opts.seconds + 600);
  let stack: Launched | undefined;
  try {
    stack = await launchStack('token', {
      OIDC_ISSUER: issuer.origin,
      OIDC_AUDIENCE: ISSUER_AUDIENCE,
      OIDC_JWKS_URL: `${issuer.origin}/jwks.json`,
      LOG_LEVEL: 'warn',
      // Production's behaviour: no auth trace in the answers.
      AUTH_TRACE: 'false',
    });
    const processes = ['gateway', ...SUBGRAPH_NAMES, 'payments'].map((name, i) => ({ name, url: `http://127.0.0.1:${stack!.ports[i]}` }));
    console.log(`soak: ${processes.length} processes up; ${opts.connections} clients for ${opts.seconds} s, sampling every ${opts.sampleSeconds} s`);
    const samples = new Map<string, Sample[]>(processes.map((p) => [p.name, []]));
    const started = Date.now();
    const sampler = setInterval(() => {
      for (const p of processes) void sample(p.url).then((s) => samples.get(p.name)!.push({ at: (Date.now() - started) / 1000, ...s }), () => {});
    }, opts.sampleSeconds * 1000);
    const load = await runLoad(stack.gatewayUrl, issuer.tokens, started + opts.seconds * 1000, opts.connections);
    clearInterval(sampler);
    report(opts, load, samples);
  } finally {
    if (stack) await stop(stack);
    await issuer.close();
  }
}

function report(opts: Options, load: Load, samples: Map<string, Sample[]>): void {
  console.log(`\n${load.requests} requests, ${load.failures} failed${load.firstFailure ? ` (first: ${load.firstFailure})` : ''}\n`);
  console.log('| process | RSS, middle third | RSS, last third | heap floor, middle third | heap floor, last third | flat |');
  console.log('| --- | ---: | ---: | ---: | ---: | --- |');
  const results = [...samples].map(([name, series]) => ({ name, ...growth(series) }));
  for (const r of results) {
    console.log(`| ${r.name} | ${(r.rssFrom / MiB).toFixed(1)} MiB | ${signed(r.rss / MiB)} MiB | ${(r.heapFrom / MiB).toFixed(1)} MiB | ${signed(r.heap / MiB)} MiB | ${r.flat ? 'yes' : 'NO'} |`);
  }
  console.log(`\nRSS / heap floor / external, MiB, at each sixth of the run:`);
  for (const [name, series] of samples) console.log(`${name.padEnd(9)} ${sixths(series).join('  ')}`);
  const worstRss = results.reduce((a, b) => (b.rss / b.rssFrom > a.rss / a.rssFrom ? b : a));
  const worstHeap = results.reduce((a, b) => (b.heap / b.heapFrom > a.heap / a.heapFrom ? b : a));
  const flat = results.every((r) => r.flat) && load.failures === 0;
  process.exitCode = flat ? 0 : 1;
  console.log(
    `\nsoak: ${opts.identities} identities, ${opts.seconds} s, ${load.requests} requests (${load.failures} failed); ` +
      `largest growth, last third over middle third: RSS ${percent(worstRss.rss, worstRss.rssFrom)} (${worstRss.name}), ` +
      `heap floor ${percent(worstHeap.heap, worstHeap.heapFrom)} (${worstHeap.name}) — ${flat ? 'flat' : 'NOT flat'}`,
  );
}

/** The shape of a series: at the end of each sixth of the run, the latest RSS, the heap floor over that sixth, the latest external memory. */
function sixths(series: Sample[]): string[] {
  const size = Math.max(1, Math.floor(series.length / 6));
  const parts: string[] = [];
  for (let i = 0; i + size <= series.length; i += size) {
    const part = series.slice(i, i + size);
    const last = part.at(-1)!;
    parts.push(`${(last.rss / MiB).toFixed(0)}/${(Math.min(...part.map((s) => s.heap)) / MiB).toFixed(0)}/${(last.external / MiB).toFixed(0)}`);
  }
  return parts;
}

const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
const percent = (delta: number, from: number) => `${signed((100 * delta) / from)} %`;

/** SIGTERM to the launcher (it stops its children), then its folder. */
async function stop(stack: Launched): Promise<void> {
  if (stack.launcher.exitCode === null) {
    const exited = new Promise((resolve) => stack.launcher.once('exit', resolve));
    stack.launcher.kill('SIGTERM');
    await exited;
  }
  stack.cleanup();
}

main().catch((error: unknown) => {
  console.error(`soak: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
