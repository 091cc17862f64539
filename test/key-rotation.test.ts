/**
 * Live signing keys (token mode): two gateway replicas sharing one
 * GATEWAY_KEYS_DIR follow it without a restart — a new key is published by
 * both at once and signs only after KEY_ACTIVATION_DELAY; a retired key stops
 * signing and stays published; a deleted key stops verifying at once; a bad
 * file never takes the keys away. `npm run keys` does the file work.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSigningKeys } from '../gateway/auth/signing-keys.js';
import type { RunningGateway } from '../gateway/server.js';
import { DEEP_QUERY } from '../subgraphs/demo.js';
import { eventually } from './helpers/eventually.js';
import { tempDir } from '../scripts/lib/local.js';
import { Client, send } from './helpers/http.js';
import { ROOT, startStack, TSX, type Stack } from './helpers/stack.js';

function keys(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...TSX, 'scripts/keys.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const kidOf = (token: string) => decodeProtectedHeader(token).kid!;
const published = async (url: string) => ((await send(`${url}/.well-known/jwks.json`)).body as { keys: { kid: string }[] }).keys.map((key) => key.kid).sort();

describe('live signing keys, two replicas on one folder', () => {
  let stack: Stack;
  let replica: RunningGateway;
  const env = () => ({ ...stack.env, KEY_ACTIVATION_DELAY: '6' });
  beforeAll(async () => {
    stack = await startStack({ mode: 'token', env: { KEY_ACTIVATION_DELAY: '6' } });
    replica = await stack.startReplica();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('rotate: both publish the new key at once; it signs only after the delay; tokens of either replica verify at the other', async () => {
    const alice = stack.client();
    await alice.login('alice', 'wonderland');
    const oldKid = kidOf(alice.token!);

    const rotated = await keys(['rotate'], env());
    expect(rotated.code, rotated.stderr).toBe(0);
    const both = await eventually(async () => {
      const [main, other] = [await published(stack.gatewayUrl), await published(replica.url)];
      expect(main).toHaveLength(2);
      expect(other).toEqual(main);
      return main;
    });
    const newKid = both.find((kid) => kid !== oldKid)!;
    // Published, not signing yet (this runs right after the file appeared). The delay is 6 s: no less than
    // the subgraphs' JWKS refetch cool-down (5 s), or a subgraph could meet the new kid before it may refetch.
    const early = new Client(replica.url);
    await early.login('bob', 'builder');
    expect(kidOf(early.token!)).toBe(oldKid);

    const bob = new Client(replica.url);
    await eventually(async () => {
      await bob.login('bob', 'builder');
      expect(kidOf(bob.token!)).toBe(newKid);
    });
    // bob's token from the replica, at the main gateway; alice's (old key) at the replica; through every subgraph.
    const atMain = await new Client(stack.gatewayUrl).query(DEEP_QUERY, { headers: { authorization: `Bearer ${bob.token}` } });
    expect(atMain.body.errors?.map((error) => error.extensions?.code) ?? []).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
    expect(atMain.body.data?.me?.id).toBe('u2');
    const atReplica = await new Client(replica.url).query(DEEP_QUERY, { headers: { authorization: `Bearer ${alice.token}` } });
    expect(atReplica.body.errors).toBeUndefined();
    expect(atReplica.body.data?.me?.id).toBe('u1');
  });

  it('retire: the key signs no more but stays published, so its tokens keep verifying', async () => {
    const alice = stack.client();
    await alice.login('alice', 'wonderland');
    const signing = kidOf(alice.token!);
    expect((await keys(['rotate'], env())).code).toBe(0);
    const fresh = await eventually(async () => {
      const all = await published(stack.gatewayUrl);
      expect(all).toHaveLength(3);
      return all;
    });
    const retired = await keys(['retire', signing], env());
    expect(retired.code, retired.stderr).toBe(0);
    const carol = stack.client();
    await eventually(async () => {
      await carol.login('bob', 'builder');
      expect(kidOf(carol.token!)).not.toBe(signing);
    });
    expect(await published(stack.gatewayUrl)).toEqual(fresh);
    expect((await alice.query('{ me { id } }')).body.data?.me).toEqual({ id: 'u1' });
  });

  it('a deleted key stops verifying at once, at every replica (nothing verified with it is answered from memory)', async () => {
    const alice = stack.client();
    await alice.login('alice', 'wonderland');
    const kid = kidOf(alice.token!);
    const other = new Client(replica.url);
    other.token = alice.token;
    expect((await other.query('{ me { id } }')).body.data?.me).toEqual({ id: 'u1' });

    expect((await keys(['rotate'], env())).code).toBe(0);
    const dir = stack.env.GATEWAY_KEYS_DIR;
    const file = (await loadSigningKeys(dir)).loaded().find((key) => key.kid === kid)?.file;
    expect(file).toBeDefined();
    fs.rmSync(path.join(dir, file!));
    await eventually(async () => {
      for (const client of [alice, other]) {
        const answer = await client.query('{ me { id } }');
        expect(answer.status).toBe(401);
        expect(answer.body.errors?.[0]?.extensions?.code).toBe('TOKEN_INVALID');
      }
    });
  });

  it('a bad file added to the folder keeps the keys the gateway had', async () => {
    // The test before deleted the signing key; a key published since then may sign now, and a
    // subgraph that fetched the JWKS in the last 5 s learns it only after its cool-down. Start from
    // a settled folder, so what is checked below is the bad file alone.
    const settled = stack.client();
    await settled.login('bob', 'builder');
    await eventually(async () => {
      expect((await settled.query('{ me { id } }')).body.data?.me).toEqual({ id: 'u2' });
    });
    const before = await published(stack.gatewayUrl);
    fs.writeFileSync(path.join(stack.env.GATEWAY_KEYS_DIR, 'broken.pem'), 'not a key', { mode: 0o600 });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await published(stack.gatewayUrl)).toEqual(before);
    const bob = stack.client();
    expect((await bob.login('bob', 'builder')).status).toBe(200);
    expect((await bob.query('{ me { id } }')).body.data?.me).toEqual({ id: 'u2' });
    fs.rmSync(path.join(stack.env.GATEWAY_KEYS_DIR, 'broken.pem'));
  });
});

describe('npm run keys refuses, with a code, and changes nothing', () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('fag-keys-');
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('retiring the only key in use (LAST_KEY), an unknown kid (KEY_NOT_FOUND), an unknown command (USAGE)', async () => {
    const env = { GATEWAY_KEYS_DIR: dir };
    const list = await keys(['list'], env);
    expect(list.code).toBe(0);
    const [only] = list.stdout.trim().split('\n');
    const kid = only.split('  ')[0];
    const before = fs.readdirSync(dir);
    for (const [args, code] of [[['retire', kid], 'LAST_KEY'], [['retire', 'no-such-kid'], 'KEY_NOT_FOUND'], [['shred'], 'USAGE'], [['list', '--force'], 'USAGE']] as const) {
      const answer = await keys([...args], env);
      expect(answer.code, answer.stderr).toBe(1);
      expect(answer.stderr.trim().split('\n')).toHaveLength(1);
      expect(answer.stderr).toMatch(new RegExp(`^keys: ${code}: `));
    }
    expect(fs.readdirSync(dir)).toEqual(before);
  });

  it('retiring the signing key while the next one waits out its activation delay (NEXT_KEY_NOT_ACTIVE)', async () => {
    const env = { GATEWAY_KEYS_DIR: dir, KEY_ACTIVATION_DELAY: '600' };
    const [signing] = (await keys(['list'], env)).stdout.trim().split('\n');
    expect((await keys(['rotate'], env)).code).toBe(0);
    const before = fs.readdirSync(dir);
    const answer = await keys(['retire', signing.split('  ')[0]], env);
    expect(answer.code, answer.stderr).toBe(1);
    expect(answer.stderr).toMatch(/^keys: NEXT_KEY_NOT_ACTIVE: /);
    expect(fs.readdirSync(dir)).toEqual(before);
  });

  it('takes a kid that begins with "-" as a kid, not an option', async () => {
    const answer = await keys(['retire', '-Sno-such-kid'], { GATEWAY_KEYS_DIR: dir });
    expect(answer.code, answer.stderr).toBe(1);
    expect(answer.stderr).toMatch(/^keys: KEY_NOT_FOUND: no key with kid "-Sno-such-kid"/);
  });
});
