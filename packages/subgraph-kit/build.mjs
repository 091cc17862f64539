/**
 * Compiles src/ to dist/ (JavaScript and .d.ts) with this package's
 * tsconfig.json. Run by `npm pack` (prepack) and, in the repository that
 * holds the kit, by `npm install`, `npm start` and `npm test` before they
 * use it; a stamp of the inputs makes a repeated run a no-op, so a build
 * never rewrites dist/ under processes that are using it.
 *
 *   node build.mjs [--force] [--quiet]     (--quiet: say nothing when dist/ is up to date)
 *
 * The build goes into a fresh folder and is swapped in, so nothing ever
 * sees half a dist/.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.join(here, 'dist');
const STAMP = '.stamp';
const require = createRequire(import.meta.url);

function filesUnder(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : [path.join(dir, entry.name)]))
    .sort();
}

/** A hash of everything the output depends on: the sources, the settings, the compiler's version. */
function inputStamp() {
  const hash = createHash('sha256');
  for (const file of [...filesUnder(path.join(here, 'src')), path.join(here, 'tsconfig.json'), path.join(here, 'package.json'), fileURLToPath(import.meta.url)]) {
    hash.update(path.relative(here, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  hash.update(`typescript@${JSON.parse(fs.readFileSync(require.resolve('typescript/package.json'), 'utf8')).version}`);
  return hash.digest('hex');
}

export function buildKit({ force = false, log = () => {} } = {}) {
  const stamp = inputStamp();
  const stampFile = path.join(DIST, STAMP);
  if (!force && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) return 'up to date';
  const started = Date.now();
  const staging = fs.mkdtempSync(path.join(here, '.dist-'));
  try {
    const tsc = require.resolve('typescript/bin/tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', path.join(here, 'tsconfig.json'), '--outDir', staging], { cwd: here, stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`tsc failed (exit code ${result.status ?? result.signal})`);
    fs.chmodSync(staging, 0o755);
    fs.writeFileSync(path.join(staging, STAMP), stamp);
    const old = `${DIST}.old-${process.pid}`;
    if (fs.existsSync(DIST)) fs.renameSync(DIST, old);
    try {
      fs.renameSync(staging, DIST);
    } catch (error) {
      // A concurrent build swapped its own (identical) output in first: keep that one.
      if (!fs.existsSync(stampFile)) throw error;
      fs.rmSync(staging, { recursive: true, force: true });
    }
    fs.rmSync(old, { recursive: true, force: true });
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  log(`subgraph-kit: built ${path.relative(process.cwd(), DIST) || DIST} in ${Date.now() - started} ms`);
  return 'built';
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const result = buildKit({ force: process.argv.includes('--force'), log: console.log });
    if (result === 'up to date' && !process.argv.includes('--quiet')) console.log('subgraph-kit: up to date');
  } catch (error) {
    console.error('subgraph-kit: build failed:', error.message);
    process.exit(1);
  }
}
