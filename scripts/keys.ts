/**
 * `npm run keys -- <command>`: the file work of rotating the gateway's
 * signing keys in GATEWAY_KEYS_DIR (or --dir). The gateway follows the
 * folder by itself (gateway/auth/signing-keys.ts); see docs/replicas.md for
 * the procedure with a shared folder and with a Kubernetes Secret.
 *
 *   list             every key: kid, file, state (signing, published, waiting to sign, retired)
 *   rotate           writes a new key: published at once, signing after KEY_ACTIVATION_DELAY
 *   retire <kid>     marks a key retired (a rename): it stops signing, and stays published
 *                    until every token it signed has expired
 *   prune            deletes retired keys no longer published
 *
 * Settings (KEY_ACTIVATION_DELAY, ACCESS_TOKEN_TTL, IDENTITY_TOKEN_TTL) are
 * read as the gateway reads them, so the times printed are the gateway's.
 * A refusal is one line with a code and exit code 1; nothing is changed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { keyPolicy, loadSigningKeys, writeNewKey, type LoadedKey } from '../gateway/auth/signing-keys.js';
import { keyStates, type KeyPolicy } from '../gateway/auth/key-states.js';
import { runMain } from '../shared/config/env.js';
import { loadGatewayConfig } from '../shared/config/gateway.js';

type KeysErrorCode = 'USAGE' | 'KEY_NOT_FOUND' | 'ALREADY_RETIRED' | 'LAST_KEY' | 'NEXT_KEY_NOT_ACTIVE';

class KeysError extends Error {
  constructor(readonly code: KeysErrorCode, message: string) {
    super(message);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
const stamp = (date: Date) => date.toISOString().replace(/[:.]/g, '-');

async function main(): Promise<void> {
  const { positionals, dir } = commandLine(process.argv.slice(2));
  const config = loadGatewayConfig({ ...process.env, ...(dir ? { GATEWAY_KEYS_DIR: dir } : {}) });
  const policy = keyPolicy(config);
  const ring = await loadSigningKeys(config.keysDir, policy);
  const keys = ring.loaded();
  const [command, kid] = positionals;
  switch (command) {
    case 'list':
      return list(keys, policy);
    case 'rotate': {
      const file = writeNewKey(config.keysDir);
      console.log(`wrote ${file}: published now, signs from ${iso(Date.now() + policy.activationDelayMs)} (KEY_ACTIVATION_DELAY ${config.keyActivationDelaySeconds} s)`);
      return;
    }
    case 'retire':
      return retire(config.keysDir, keys, kid, policy);
    case 'prune':
      return prune(config.keysDir, keys, policy);
    default:
      throw new KeysError('USAGE', USAGE);
  }
}

const USAGE = 'usage: npm run keys -- list | rotate | retire <kid> | prune [--dir GATEWAY_KEYS_DIR]';

/**
 * `--dir <path>` (or `--dir=<path>`), and the rest as words: a kid is
 * base64url and may begin with "-", so nothing else is read as an option.
 */
function commandLine(argv: string[]): { positionals: string[]; dir?: string } {
  const positionals: string[] = [];
  let dir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--dir' && i + 1 < argv.length) dir = argv[++i];
    else if (arg.startsWith('--dir=')) dir = arg.slice('--dir='.length);
    else if (arg.startsWith('--') && arg !== '--') throw new KeysError('USAGE', `unknown option ${arg}; ${USAGE}`);
    else if (arg !== '--') positionals.push(arg);
  }
  return { positionals, ...(dir !== undefined ? { dir } : {}) };
}

function list(keys: LoadedKey[], policy: KeyPolicy): void {
  const now = Date.now();
  const states = keyStates(keys, now, policy);
  for (const key of keys) {
    const state =
      key === states.signer
        ? 'signing'
        : key.retiredAt !== undefined
          ? states.published.includes(key) ? `retired, published until ${iso(key.retiredAt + policy.retiredPublishedMs)}` : 'retired, no longer published (prune it)'
          : key.createdAt + policy.activationDelayMs > now ? `published, signs from ${iso(key.createdAt + policy.activationDelayMs)}` : 'published';
    console.log(`${key.kid}  ${key.file}  ${state}`);
  }
}

function retire(dir: string, keys: LoadedKey[], kid: string | undefined, policy: KeyPolicy): void {
  const key = keys.find((candidate) => candidate.kid === kid);
  if (!key) throw new KeysError('KEY_NOT_FOUND', `no key with kid ${JSON.stringify(kid)} in ${dir} (npm run keys -- list)`);
  if (key.retiredAt !== undefined) throw new KeysError('ALREADY_RETIRED', `${key.kid} was retired at ${iso(key.retiredAt)}`);
  const others = keys.filter((other) => other !== key && other.retiredAt === undefined);
  if (others.length === 0) {
    throw new KeysError('LAST_KEY', `${key.kid} is the only key in use: run \`npm run keys -- rotate\` first, and retire it once the new key signs`);
  }
  const now = new Date();
  // A key still waiting out KEY_ACTIVATION_DELAY would sign at once: some subgraph may not know it yet.
  const activeAt = Math.min(...others.map((other) => other.createdAt + policy.activationDelayMs));
  if (activeAt > now.getTime()) {
    throw new KeysError('NEXT_KEY_NOT_ACTIVE', `no other key signs before ${iso(activeAt)} (KEY_ACTIVATION_DELAY): retire ${key.kid} after that`);
  }
  const renamed = key.file.replace(/\.pem$/, `.retired-${stamp(now)}.pem`);
  fs.renameSync(path.join(dir, key.file), path.join(dir, renamed));
  console.log(`retired ${key.kid}: ${renamed}; it signs no more and stays published until ${iso(now.getTime() + policy.retiredPublishedMs)}`);
}

function prune(dir: string, keys: LoadedKey[], policy: KeyPolicy): void {
  const { published } = keyStates(keys, Date.now(), policy);
  const gone = keys.filter((key) => key.retiredAt !== undefined && !published.includes(key));
  for (const key of gone) {
    fs.rmSync(path.join(dir, key.file));
    console.log(`deleted ${key.file} (${key.kid})`);
  }
  if (gone.length === 0) console.log('nothing to prune');
}

void runMain(async () => {
  try {
    await main();
  } catch (error) {
    if (!(error instanceof KeysError)) throw error;
    console.error(`keys: ${error.code}: ${error.message}`);
    process.exit(1);
  }
});
