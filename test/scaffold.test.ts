/**
 * `npm run subgraph:new`, end to end, in every auth mode: scaffold into a
 * temporary copy of the project whose subgraphs.json a running gateway
 * watches, start the new subgraph as its own process, and follow it through
 * the gateway without a restart: served with the caller's identity, a
 * conflicting change kept out, the fix picked up, removal, a malformed list.
 * Also: every refusal of the command changes nothing.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './helpers/eventually.js';
import { modeVariants } from './helpers/modes.js';
import { freePort, tempDir } from '../scripts/lib/local.js';
import { startStack, type Stack } from './helpers/stack.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCRIPT = path.join(ROOT, 'scripts', 'new-subgraph.ts');

/** What a project needs to run and test a subgraph; node_modules is linked, not copied. */
function copyProject(): string {
  const dir = tempDir('fag-scaffold-');
  for (const entry of ['gateway', 'shared', 'subgraphs', 'downstream', 'scripts', 'test', 'package.json', 'tsconfig.json', 'subgraphs.json', 'vitest.config.ts']) {
    fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), {
      recursive: true,
      // Only the shipped demo subgraphs: not one another test (or a user) scaffolded meanwhile.
      filter: (source) => !/[\\/]subgraphs[\\/]\.new-/.test(source),
    });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Runs the real command line; never throws, so refusals can be inspected. */
function scaffold(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { cwd: ROOT }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The state a refused command must leave untouched: the list and every folder under subgraphs/. */
function snapshot(dir: string) {
  return {
    list: fs.readFileSync(path.join(dir, 'subgraphs.json'), 'utf8'),
    folders: fs.readdirSync(path.join(dir, 'subgraphs')).sort(),
  };
}

/** Environment for a subgraph process: what the stack's own subgraphs got, and its own port. */
function subgraphEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.PORT;
  return env;
}

/** Starts `subgraphs/<name>/main.ts` of a project; resolves once it listens. */
async function startProcess(project: string, name: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(project, 'subgraphs', name, 'main.ts')], {
    cwd: project,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before listening: ${output}`)));
  });
  return child;
}

async function stopProcess(child: ChildProcess | undefined) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function supergraphStatus(url: string) {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, supergraph: ((await response.json()) as any).supergraph };
}

describe('subgraph:new refuses bad requests and changes nothing', () => {
  let project: string;
  let listener: http.Server | undefined;

  beforeAll(() => {
    project = copyProject();
  });
  afterAll(async () => {
    if (listener) await new Promise((resolve) => listener!.close(resolve));
    fs.rmSync(project, { recursive: true, force: true });
  });

  it.each([
    ['an invalid name', ['Bad_Name'], 'INVALID_NAME'],
    ['a name too long for a token audience', ['a'.repeat(41)], 'INVALID_NAME'],
    ['an existing subgraph', ['accounts'], 'NAME_TAKEN'],
    ['a port another subgraph uses', ['gizmos', '--port', '4001'], 'PORT_TAKEN'],
    ['the port of a local downstream service (payments)', ['gizmos', '--port', '4010'], 'PORT_TAKEN'],
    ['a port that is not a number', ['gizmos', '--port', 'http'], 'INVALID_PORT'],
    ['a schema that clashes with a local subgraph', ['users'], 'WOULD_NOT_COMPOSE'],
    ['no name at all', [], 'USAGE'],
  ])('refuses %s', async (_what, args, code) => {
    const before = snapshot(project);
    const result = await scaffold([...args, '--root', project]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^subgraph:new: ${code}: `))]);
    expect(snapshot(project)).toEqual(before);
  });

  it('refuses a name the list already has, even without a local folder', async () => {
    const list = JSON.parse(fs.readFileSync(path.join(project, 'subgraphs.json'), 'utf8'));
    fs.writeFileSync(path.join(project, 'subgraphs.json'), JSON.stringify([...list, { name: 'remote', url: 'https://remote.example/graphql' }]));
    const before = snapshot(project);
    const result = await scaffold(['remote', '--root', project]);
    expect(result.stderr).toMatch(/^subgraph:new: NAME_TAKEN: /);
    expect(snapshot(project)).toEqual(before);
  });

  it('refuses a port something on the machine listens on', async () => {
    listener = http.createServer();
    await new Promise<void>((resolve) => listener!.listen(0, resolve));
    const port = (listener.address() as { port: number }).port;
    const before = snapshot(project);
    const result = await scaffold(['gizmos', '--port', String(port), '--root', project]);
    expect(result.stderr).toMatch(/^subgraph:new: PORT_TAKEN: /);
    expect(snapshot(project)).toEqual(before);
  });

  it('refuses to touch a list that is already broken', async () => {
    fs.writeFileSync(path.join(project, 'subgraphs.json'), '[{"name": ');
    const before = snapshot(project);
    const result = await scaffold(['gizmos', '--root', project]);
    expect(result.stderr).toMatch(/^subgraph:new: LIST_INVALID: /);
    expect(snapshot(project)).toEqual(before);
  });
});

describe('subgraph:new picks the next free port', () => {
  let project: string;
  beforeAll(() => {
    project = copyProject();
  });
  afterAll(() => {
    fs.rmSync(project, { recursive: true, force: true });
  });

  it('after the listed subgraphs, skipping the ports of listed services and of local downstream services', async () => {
    // Subgraphs up to 4009, and a service listed at 4011: the next would be 4010, which payments takes (it is in no list).
    const list = [
      ...JSON.parse(fs.readFileSync(path.join(project, 'subgraphs.json'), 'utf8')),
      { name: 'remote', url: 'http://localhost:4009/graphql' },
      { name: 'ledger', kind: 'service', url: 'http://localhost:4011', downstream: ['audit'] },
    ];
    fs.writeFileSync(path.join(project, 'subgraphs.json'), JSON.stringify(list));
    expect((await scaffold(['gizmos', '--root', project])).code).toBe(0);
    const added = JSON.parse(fs.readFileSync(path.join(project, 'subgraphs.json'), 'utf8')).at(-1) as { name: string; url: string };
    expect(added.name).toBe('gizmos');
    // 4012 unless something on this machine listens there.
    expect(Number(new URL(added.url).port)).toBeGreaterThanOrEqual(4012);
  });
});

describe.each(modeVariants())('a scaffolded subgraph joins a running gateway, $name mode', (variant) => {
  let project: string;
  let stack: Stack;
  let port: number;
  let child: ChildProcess | undefined;
  let demoList: string;
  const list = () => path.join(project, 'subgraphs.json');
  const start = () =>
    startProcess(
      project,
      'gizmos',
      subgraphEnv({
        ...variant.env,
        AUTH_MODE: stack.env.AUTH_MODE,
        GATEWAY_ISSUER: stack.env.GATEWAY_ISSUER,
        GATEWAY_JWKS_URL: stack.env.GATEWAY_JWKS_URL,
        SESSION_STORE: stack.env.SESSION_STORE,
      }),
    );

  beforeAll(async () => {
    project = copyProject();
    // The running gateway watches the copy's own subgraphs.json (the stack writes the demo entries into it).
    stack = await startStack({
      mode: variant.mode,
      env: { ...variant.env, SUBGRAPHS_FILE: path.join(project, 'subgraphs.json'), SUBGRAPH_POLL_INTERVAL: '1' },
    });
    demoList = fs.readFileSync(list(), 'utf8');
    port = await freePort();
  });
  afterAll(async () => {
    await stopProcess(child);
    await stack?.close();
    if (project) fs.rmSync(project, { recursive: true, force: true });
  });

  it('scaffolds the folder and lists it; the gateway notices and keeps serving while it is not up yet', async () => {
    const result = await scaffold(['gizmos', '--port', String(port), '--root', project]);
    expect(result.code).toBe(0);
    expect(fs.readdirSync(path.join(project, 'subgraphs', 'gizmos')).sort()).toEqual(['gizmos.test.ts', 'index.ts', 'main.ts']);
    // It uses the subgraph kit by its package name, as a subgraph elsewhere would.
    expect(fs.readFileSync(path.join(project, 'subgraphs', 'gizmos', 'index.ts'), 'utf8')).toContain("from '@fedgw/subgraph-kit'");
    const entries = JSON.parse(fs.readFileSync(list(), 'utf8')) as { name: string; url: string }[];
    expect(entries.at(-1)).toEqual({ name: 'gizmos', url: `http://localhost:${port}/graphql` });

    const waiting = await eventually(async () => {
      const status = await supergraphStatus(stack.gatewayUrl);
      expect(status.supergraph.failure?.code).toBe('SUBGRAPH_UNREACHABLE');
      return status;
    });
    expect(waiting.supergraph.failure.subgraphs).toEqual(['gizmos']);
    expect(waiting.status).toBe(200);
    expect((await stack.client().query('{ products { id } }')).body.errors).toBeUndefined();
  });

  it('serves the new fields through the gateway once it runs, with the caller visible in it, without a restart', async () => {
    child = await start();
    const alice = stack.client();
    const login = await alice.login('alice', 'wonderland');
    expect(login.status, JSON.stringify(login.body)).toBe(200);

    const result = await eventually(async () => {
      const answer = await alice.query('{ me { id } gizmos { id name seenBy } }');
      expect(answer.body.errors).toBeUndefined();
      return answer;
    });
    expect(result.body.data!.me).toEqual({ id: 'u1' });
    expect(result.body.data!.gizmos.map((gizmo: any) => gizmo.seenBy)).toEqual(['u1', 'u1']);

    const anonymous = await stack.client().query('{ gizmos { id seenBy } }');
    expect(anonymous.body.data?.gizmos.map((gizmo: any) => gizmo.seenBy)).toEqual([null, null]);
    expect(anonymous.body.errors?.map((error) => error.extensions?.code)).toContain('UNAUTHORIZED_FIELD_OR_TYPE');
    expect((await supergraphStatus(stack.gatewayUrl)).supergraph.failure).toBeUndefined();
  });

  it('keeps the old schema answering when a change to it clashes, and reports it; the fix recovers', async () => {
    const index = path.join(project, 'subgraphs', 'gizmos', 'index.ts');
    const good = fs.readFileSync(index, 'utf8');
    // A conflicting type: products says Product.name is String!.
    fs.writeFileSync(index, good.replace('type Query {', 'type Product @key(fields: "id") { id: ID! name: Int }\n\n  type Query {'));
    await stopProcess(child);
    child = await start();

    const failure = await eventually(async () => {
      const status = await supergraphStatus(stack.gatewayUrl);
      expect(status.supergraph.failure?.code).toBe('COMPOSITION_FAILED');
      return status.supergraph.failure;
    });
    expect(failure.subgraphs).toEqual(['gizmos']);
    expect(failure.codes).toContain('FIELD_TYPE_MISMATCH');
    const old = await stack.client().query('{ gizmos { id } products { name } }');
    expect(old.body.errors).toBeUndefined();
    expect(old.body.data!.gizmos).toHaveLength(2);

    fs.writeFileSync(index, good);
    await stopProcess(child);
    child = await start();
    await eventually(async () => expect((await supergraphStatus(stack.gatewayUrl)).supergraph.failure).toBeUndefined());
    expect((await stack.client().query('{ gizmos { id } }')).body.errors).toBeUndefined();
    // Two restarts of a tsx process: ~20 s on a quiet machine, more on a loaded one.
  }, 90_000);

  it('keeps the last good schema when the list is malformed', async () => {
    const current = fs.readFileSync(list(), 'utf8');
    fs.writeFileSync(list(), current.slice(0, current.length / 2));
    await eventually(async () =>
      expect((await supergraphStatus(stack.gatewayUrl)).supergraph.failure?.code).toBe('SUBGRAPH_LIST_INVALID'),
    );
    const result = await stack.client().query('{ gizmos { id } products { id } }');
    expect(result.body.errors).toBeUndefined();

    fs.writeFileSync(list(), current);
    await eventually(async () => expect((await supergraphStatus(stack.gatewayUrl)).supergraph.failure).toBeUndefined());
  });

  it('drops its fields when it is removed from the list', async () => {
    fs.writeFileSync(list(), demoList);
    await eventually(async () => {
      const gone = await stack.client().query('{ gizmos { id } }');
      expect(gone.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    });
    const status = await supergraphStatus(stack.gatewayUrl);
    expect(status.supergraph.subgraphs).not.toContain('gizmos');
    expect(status.supergraph.failure).toBeUndefined();
    expect((await stack.client().query('{ products { id } }')).body.errors).toBeUndefined();
  });
});

describe('the scaffolded test', () => {
  let project: string;
  beforeAll(() => {
    project = copyProject();
  });
  afterAll(() => {
    fs.rmSync(project, { recursive: true, force: true });
  });

  it('passes in the project it was scaffolded into', async () => {
    expect((await scaffold(['gizmos', '--root', project])).code).toBe(0);
    // A clean environment for the inner vitest: only what a developer's shell would have.
    const env = {
      ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(VITEST|TINYPOOL|NODE_OPTIONS|FORCE_COLOR)/.test(key))),
      NO_COLOR: '1',
    };
    const result = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        process.execPath,
        [path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'subgraphs/gizmos'],
        { cwd: project, env },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
      );
    });
    expect(result.code, result.output).toBe(0);
    expect(result.output.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/Tests\s+\d+ passed \(\d+\)/);
  }, 120_000);
});
