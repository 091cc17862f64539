/**
 * Gateway replicas behind a real load balancer (Debian's HAProxy), token
 * mode: three gateway processes over the four demo subgraphs and a private
 * Redis (test/helpers/cluster.ts, docs/replicas.md).
 *
 * Under a bounded load through the load balancer: no request fails while
 * the signing key rotates and the replicas restart one by one (each exits 0
 * on SIGTERM and reports itself not ready before it stops listening); a
 * logout through one replica is refused by the others within a second; a
 * reused refresh token revokes its sign-in everywhere; a normal token-mode
 * request reads nothing from the store. Then the same cluster's login →
 * query elsewhere → logout → refused, in session mode.
 *
 * Without /usr/sbin/haproxy the suite skips with a printed reason locally;
 * with CI=true it runs and fails (.ci/run installs it).
 */
import { execFile } from 'node:child_process';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEEP_QUERY } from '../../subgraphs/demo.js';
import { eventually } from '../helpers/eventually.js';
import { Client, send } from '../helpers/http.js';
import { ROOT, TSX } from '../helpers/stack.js';
import { IN_CI } from '../helpers/modes.js';
import {
  describeLoad,
  describeRequestLog,
  graphqlRequest,
  hasHaproxy,
  HAPROXY,
  startCluster,
  startLoad,
  type Cluster,
  type Load,
  type LoadStats,
  type RestartResult,
} from '../helpers/cluster.js';

if (!hasHaproxy) {
  if (IN_CI) console.error(`${HAPROXY} is missing: with CI=true the cluster tests run anyway and fail (.ci/run installs it).`);
  else console.warn(`skipping the cluster tests: ${HAPROXY} is missing (apt-get install -y haproxy)`);
}

/** Alice's deep query crossed all four subgraphs as her: accounts (me), orders (hers), products (cost: admin), reviews (mine). */
function isAlicesDeepAnswer(data: any): boolean {
  const me = data?.me;
  const teapot = me?.orders?.[0]?.items?.[0]?.product;
  return (
    me?.id === 'u1' &&
    me.name === 'Alice Liddell' &&
    me.orders.map((order: any) => order.id).join() === 'o1' &&
    teapot?.name === 'Teapot' &&
    teapot.cost === 9.5 &&
    Array.isArray(teapot.reviews) &&
    teapot.reviews.some((review: any) => review.mine === true && review.author?.name === 'Alice Liddell')
  );
}

/** `npm run keys -- <args>` against the cluster's key folder, with its settings. */
function keys(cluster: Cluster, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...TSX, 'scripts/keys.ts', ...args], { cwd: ROOT, env: { ...process.env, ...cluster.replicaEnv } }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const kidOf = (token: string) => decodeProtectedHeader(token).kid!;

/** POST /auth/token with a refresh token. */
const refresh = (url: string, refreshToken: string) =>
  send(`${url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
  });

/** Redis's own count of calls per command (INFO commandstats). */
function redisCommandCalls(redisUrl: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', ['-u', redisUrl, 'INFO', 'commandstats'], (error, stdout) => {
      if (error) return reject(error);
      const calls: Record<string, number> = {};
      for (const match of stdout.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1]] = Number(match[2]);
      resolve(calls);
    });
  });
}

/** The commands called between two counts, but for the counting itself (`info`). */
function commandsBetween(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [command, calls] of Object.entries(after)) {
    const more = calls - (before[command] ?? 0);
    if (more > 0 && command !== 'info') delta[command] = more;
  }
  return delta;
}

/** Waits until the load has had `count` more answers (a count, not a time). */
async function answered(load: Load, count: number): Promise<void> {
  const target = load.stats().ok + load.stats().failed + count;
  while (load.stats().ok + load.stats().failed < target) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe.skipIf(!hasHaproxy && !IN_CI)('gateway replicas behind HAProxy, token mode', () => {
  let cluster: Cluster;
  let alice: Client;
  let startedInMs = 0;

  beforeAll(async () => {
    const started = Date.now();
    cluster = await startCluster({ mode: 'token', replicas: 3, env: { DRAIN_DELAY: '1', KEY_ACTIVATION_DELAY: '6' } });
    startedInMs = Date.now() - started;
    console.info(`cluster: HAProxy ${cluster.url} over ${cluster.replicas.map((r) => `${r.name} ${r.url}`).join(', ')}; started in ${startedInMs} ms`);
    alice = cluster.client();
    const login = await alice.login('alice', 'wonderland');
    expect(login.status, JSON.stringify(login.body)).toBe(200);
  }, 120_000);

  afterAll(async () => {
    const started = Date.now();
    await cluster?.close();
    if (cluster) console.info(`cluster: closed in ${Date.now() - started} ms`);
  }, 60_000);

  const aliceQuery = () => graphqlRequest(DEEP_QUERY, { headers: { authorization: `Bearer ${alice.token}` }, expected: isAlicesDeepAnswer });

  it("logs alice in through the frontend; her deep query answers her data through each replica and through the frontend", async () => {
    const viaFrontend = cluster.client();
    const login = await viaFrontend.login('alice', 'wonderland');
    expect(login.status).toBe(200);
    expect(login.body.token_type).toBe('Bearer');

    for (const replica of cluster.replicas) {
      const direct = new Client(replica.url);
      direct.token = viaFrontend.token;
      const result = await direct.query(DEEP_QUERY);
      expect(result.status, replica.name).toBe(200);
      expect(result.body.errors, replica.name).toBeUndefined();
      expect(isAlicesDeepAnswer(result.body.data), `${replica.name}: ${JSON.stringify(result.body.data)}`).toBe(true);
    }

    // Through the frontend, round robin: every replica answers it in turn.
    const servedBy = new Set<string>();
    for (let i = 0; i < cluster.replicas.length * 2; i++) {
      const result = await viaFrontend.query(DEEP_QUERY);
      expect(result.status).toBe(200);
      expect(result.body.errors).toBeUndefined();
      expect(isAlicesDeepAnswer(result.body.data), JSON.stringify(result.body.data)).toBe(true);
      servedBy.add(result.headers.get('x-served-by') ?? '?');
    }
    expect([...servedBy].sort()).toEqual(cluster.replicas.map((r) => r.name));
  });

  it('serves a steady load through the frontend without a failure (the harness itself loses nothing)', async () => {
    const load = startLoad(cluster.url, { concurrency: 6, request: aliceQuery });
    await answered(load, 150);
    const stats = await load.stop();
    expect(stats.failed, describeLoad(stats)).toBe(0);
    for (const replica of cluster.replicas) expect(stats.servedBy[replica.name] ?? 0, describeLoad(stats)).toBeGreaterThan(0);
  });

  it('loses no request while the signing key rotates and the replicas restart one by one (SIGTERM, exit 0, not ready before closing)', async () => {
    const logFrom = cluster.requestLog().length;
    // The load presents whichever token is newest: alice's first one (the old key), then one the new key signed.
    let token = alice.token!;
    const load = startLoad(cluster.url, { concurrency: 6, request: () => graphqlRequest(DEEP_QUERY, { headers: { authorization: `Bearer ${token}` }, expected: isAlicesDeepAnswer }) });
    const restarts: RestartResult[] = [];
    let stats: LoadStats;
    const oldKid = kidOf(token);
    let newKid = '';
    try {
      await answered(load, 30);
      const rotated = await keys(cluster, ['rotate']);
      expect(rotated.code, rotated.stderr).toBe(0);
      // Published at once, signing after KEY_ACTIVATION_DELAY: a new login shows when.
      const fresh = cluster.client();
      await eventually(async () => {
        await fresh.login('alice', 'wonderland');
        expect(kidOf(fresh.token!)).not.toBe(oldKid);
      }, { timeoutMs: 30_000, everyMs: 250 });
      newKid = kidOf(fresh.token!);
      token = fresh.token!;
      for (const replica of cluster.replicas) {
        restarts.push(await cluster.restartReplica(replica.index));
        // Some traffic on the new process before the next one goes.
        await answered(load, 30);
      }
      const retired = await keys(cluster, ['retire', oldKid]);
      expect(retired.code, retired.stderr).toBe(0);
      await answered(load, 30);
    } finally {
      stats = await load.stop();
    }

    const figures = [
      `rotation: ${oldKid.slice(0, 8)} → ${newKid.slice(0, 8)}`,
      describeLoad(stats),
      ...restarts.map(
        (r, i) =>
          `${cluster.replicas[i].name}: ${r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`} ${r.exitMs} ms after SIGTERM; ` +
          `/readyz meanwhile: ${r.readyz.map((run) => `${run.answer}×${run.count}`).join(' → ') || 'no answer'}; ` +
          `new process listening after ${r.listeningMs} ms, ready after ${r.readyMs} ms, UP in HAProxy after ${r.upMs} ms`,
      ),
      describeRequestLog(cluster.requestLog().slice(logFrom)),
    ].join('\n');
    console.info(`rolling key rotation and restart:\n${figures}`);

    expect.soft(stats.failed, `failed requests during the rotation and the rolling restart\n${figures}`).toBe(0);
    expect.soft(
      restarts.map((r) => ({ code: r.code, signal: r.signal })),
      `every replica exits with code 0 on SIGTERM\n${figures}`,
    ).toEqual(restarts.map(() => ({ code: 0, signal: null })));
    expect.soft(
      restarts.map((r) => r.notReadyBeforeClosing),
      `every replica answers /readyz 503 after SIGTERM, before it stops listening\n${figures}`,
    ).toEqual(restarts.map(() => true));
    // The cluster is whole again: every new process serves alice, with the old key's token (retired, still published) and the new one's.
    for (const replica of cluster.replicas) {
      for (const held of [alice.token!, token]) {
        const direct = new Client(replica.url);
        direct.token = held;
        const result = await direct.query(DEEP_QUERY);
        expect(isAlicesDeepAnswer(result.body.data), `${replica.name} after its restart: ${JSON.stringify(result.body)}`).toBe(true);
      }
    }
  }, 180_000);

  /** Runs `steps` while alice's deep query keeps going through the frontend; none of it may fail. */
  async function underLoad(steps: () => Promise<void>): Promise<void> {
    const load = startLoad(cluster.url, { concurrency: 4, request: aliceQuery });
    let stats: LoadStats;
    try {
      await answered(load, 10);
      await steps();
      await answered(load, 10);
    } finally {
      stats = await load.stop();
    }
    expect(stats.failed, describeLoad(stats)).toBe(0);
  }

  it('a logout through one replica is refused by each of the others within a second (under load)', () => underLoad(async () => {
    const bob = cluster.client(cluster.replicas[0].url);
    expect((await bob.login('bob', 'builder')).status).toBe(200);
    const held = bob.token!;
    for (const replica of cluster.replicas) {
      const direct = new Client(replica.url);
      direct.token = held;
      expect((await direct.query('{ me { id } }')).body.data?.me, replica.name).toEqual({ id: 'u2' });
    }
    const started = Date.now();
    expect((await bob.logout()).status).toBe(204);
    const latencies: Record<string, number> = {};
    await Promise.all(
      cluster.replicas.slice(1).map(async (replica) => {
        const direct = new Client(replica.url);
        direct.token = held;
        await eventually(async () => {
          const answer = await direct.query('{ me { id } }');
          expect(answer.status).toBe(401);
          expect(answer.body.errors?.[0]?.extensions?.code).toBe('TOKEN_REVOKED');
        }, { everyMs: 10, timeoutMs: 5000 });
        latencies[replica.name] = Date.now() - started;
      }),
    );
    console.info(`revocation: the logout through ${cluster.replicas[0].name} was refused after ${JSON.stringify(latencies)} ms`);
    for (const [name, ms] of Object.entries(latencies)) expect(ms, name).toBeLessThan(1000);
  }));

  it('a reused refresh token revokes its sign-in on every replica, access tokens included (under load)', () => underLoad(async () => {
    const carol = cluster.client();
    const login = await carol.login('alice', 'wonderland');
    const first = String(login.body.refresh_token);
    const renewed = await refresh(cluster.replicas[1].url, first);
    expect(renewed.status).toBe(200);
    const replay = await refresh(cluster.replicas[2].url, first);
    expect(replay.status).toBe(400);
    expect(replay.body).toMatchObject({ error: 'invalid_grant' });
    for (const replica of cluster.replicas) {
      await eventually(async () => {
        const answer = await new Client(replica.url).query('{ me { id } }', { headers: { authorization: `Bearer ${renewed.body.access_token}` } });
        expect(answer.body.errors?.[0]?.extensions?.code, replica.name).toBe('TOKEN_REVOKED');
      }, { everyMs: 10, timeoutMs: 5000 });
    }
    expect((await refresh(cluster.url, renewed.body.refresh_token)).body).toMatchObject({ error: 'invalid_grant' });
  }));

  it('reads nothing from the store for a normal token-mode request (counted by Redis itself)', async () => {
    for (const replica of cluster.replicas) {
      const direct = new Client(replica.url);
      direct.token = alice.token;
      await direct.query(DEEP_QUERY);
    }
    const before = await redisCommandCalls(cluster.redisUrl);
    const requests = 30;
    for (let i = 0; i < requests; i++) {
      const replica = cluster.replicas[i % cluster.replicas.length];
      const direct = new Client(replica.url);
      direct.token = alice.token;
      const answer = await direct.query(DEEP_QUERY);
      expect(isAlicesDeepAnswer(answer.body.data), replica.name).toBe(true);
      expect(answer.body.extensions?.authCost, replica.name).toMatchObject({ storeReads: 0 });
    }
    const commands = commandsBetween(before, await redisCommandCalls(cluster.redisUrl));
    console.info(`store: ${requests} token-mode requests through ${cluster.replicas.length} replicas sent Redis ${JSON.stringify(commands)}`);
    expect(commands).toEqual({});
  });
});

describe.skipIf(!hasHaproxy && !IN_CI)('gateway replicas behind HAProxy, session mode', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ mode: 'session', replicas: 3, env: { DRAIN_DELAY: '1' } });
  }, 120_000);
  afterAll(async () => {
    await cluster?.close();
  }, 60_000);

  it('login through one replica, a query through another, logout through a third: then anonymous everywhere', async () => {
    const [r0, r1, r2] = cluster.replicas;
    const alice = cluster.client(r0.url);
    expect((await alice.login('alice', 'wonderland')).status).toBe(200);
    const cookie = alice.cookie!;
    const elsewhere = new Client(r1.url);
    elsewhere.cookie = cookie;
    const answer = await elsewhere.query(DEEP_QUERY);
    expect(isAlicesDeepAnswer(answer.body.data), JSON.stringify(answer.body)).toBe(true);
    const third = new Client(r2.url);
    third.cookie = cookie;
    expect((await third.logout()).status).toBe(204);
    for (const replica of cluster.replicas) {
      const after = new Client(replica.url);
      after.cookie = cookie;
      const refused = await after.query('{ me { id } }');
      expect(refused.body.data?.me, replica.name).toBeNull();
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
    }
  });
});
