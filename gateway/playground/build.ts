/**
 * Bundles the playground (GraphiQL, React, Monaco and its workers, our login
 * panel) from node_modules into gateway/playground/dist with esbuild, so the
 * gateway serves every byte of the page itself: nothing from a CDN, and it
 * works offline. Run by `npm install` (prepare), `npm start` and `npm test`
 * (pre-scripts); a stamp of the inputs makes a repeated run a no-op.
 *
 *   npx tsx gateway/playground/build.ts [--force]
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { isPlaygroundBuilt, PLAYGROUND_DIST } from './assets.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLIENT_DIR = path.join(here, 'client');
const STAMP = '.stamp';
const require = createRequire(import.meta.url);

/** Monaco runs its language services in web workers; each is its own classic-script bundle. */
const WORKERS: Record<string, string> = {
  'editor.worker': 'monaco-editor/esm/vs/editor/editor.worker.js',
  'json.worker': 'monaco-editor/esm/vs/language/json/json.worker.js',
  'graphql.worker': 'monaco-graphql/esm/graphql.worker.js',
};

/** Packages whose version changes the bundle. */
const BUNDLED_PACKAGES = ['graphiql', '@graphiql/react', 'react', 'react-dom', 'monaco-editor', 'monaco-graphql', 'esbuild'];

function packageVersion(name: string): string {
  try {
    return (JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    // Some packages do not export their package.json; find it next to their entry point.
    let dir = path.dirname(require.resolve(name));
    while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
    return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  }
}

/** A hash of everything that goes into the bundle: our sources and the bundled packages' versions. */
function inputStamp(): string {
  const hash = createHash('sha256');
  const files = [fileURLToPath(import.meta.url), ...fs.readdirSync(CLIENT_DIR).sort().map((file) => path.join(CLIENT_DIR, file))];
  for (const file of files) hash.update(file).update(fs.readFileSync(file));
  for (const name of BUNDLED_PACKAGES) hash.update(`${name}@${packageVersion(name)}`);
  return hash.digest('hex');
}

async function bundle(outdir: string): Promise<void> {
  const common = {
    bundle: true,
    minify: true,
    legalComments: 'none' as const,
    target: ['chrome109', 'firefox115', 'safari16'],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'error' as const,
  };
  await build({
    ...common,
    entryPoints: { main: path.join(CLIENT_DIR, 'main.ts') },
    outdir,
    format: 'esm',
    // Monaco's CSS references its icon font; anything not inlined becomes a file next to the bundle.
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'file', '.png': 'file' },
  });
  await build({
    ...common,
    entryPoints: Object.fromEntries(Object.entries(WORKERS).map(([name, module]) => [name, require.resolve(module)])),
    outdir,
    format: 'iife',
  });
}

/**
 * Builds into a fresh folder and swaps it in, so a gateway serving the old
 * bundle, or a second build running at the same time, never sees half a dist.
 */
export async function buildPlayground(options: { force?: boolean; log?: (line: string) => void } = {}): Promise<'built' | 'up to date'> {
  const stamp = inputStamp();
  const stampFile = path.join(PLAYGROUND_DIST, STAMP);
  if (!options.force && isPlaygroundBuilt() && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) {
    return 'up to date';
  }
  const started = Date.now();
  const staging = fs.mkdtempSync(path.join(here, '.dist-'));
  try {
    // mkdtemp makes an owner-only folder; the bundle is public, like any static asset.
    fs.chmodSync(staging, 0o755);
    await bundle(staging);
    fs.writeFileSync(path.join(staging, STAMP), stamp);
    const old = `${PLAYGROUND_DIST}.old-${process.pid}`;
    if (fs.existsSync(PLAYGROUND_DIST)) fs.renameSync(PLAYGROUND_DIST, old);
    try {
      fs.renameSync(staging, PLAYGROUND_DIST);
    } catch (error) {
      // A concurrent build swapped its own (identical) bundle in first: keep that one.
      if (!isPlaygroundBuilt()) throw error;
      fs.rmSync(staging, { recursive: true, force: true });
    }
    fs.rmSync(old, { recursive: true, force: true });
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  options.log?.(`playground: built ${PLAYGROUND_DIST} in ${Date.now() - started} ms`);
  return 'built';
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildPlayground({ force: process.argv.includes('--force'), log: console.log }).then(
    (result) => {
      if (result === 'up to date') console.log('playground: up to date');
    },
    (error: unknown) => {
      console.error('playground: build failed:', error);
      process.exit(1);
    },
  );
}
