/**
 * Gateway replicas behind a real load balancer (Debian's HAProxy), token
 * mode: three gateway processes over the four demo subgraphs and a private
 * Redis (test/helpers/cluster.ts, docs/replicas.md).
 *
 * The rolling-restart test states what replicas must achieve: no request
 * through the load balancer fails while the replicas restart one by one,
 * each exits with code 0 on SIGTERM, and each reports itself not ready
 * (/readyz 503) before it stops listening, so that HAProxy takes it out
 * before its connections close.
 *
 * Without /usr/sbin/haproxy the suite skips with a printed reason locally;
 * with CI=true it runs and fails (.ci/run installs it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEEP_QUERY } from '../../subgraphs/demo.js';
import { Client } from '../helpers/http.js';
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
    cluster = await startCluster({ mode: 'token', replicas: 3 });
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

  it('loses no request while the replicas restart one by one (SIGTERM, exit 0, not ready before closing)', async () => {
    const logFrom = cluster.requestLog().length;
    const load = startLoad(cluster.url, { concurrency: 6, request: aliceQuery });
    const restarts: RestartResult[] = [];
    let stats: LoadStats;
    try {
      await answered(load, 30);
      for (const replica of cluster.replicas) {
        restarts.push(await cluster.restartReplica(replica.index));
        // Some traffic on the new process before the next one goes.
        await answered(load, 30);
      }
    } finally {
      stats = await load.stop();
    }

    const figures = [
      describeLoad(stats),
      ...restarts.map(
        (r, i) =>
          `${cluster.replicas[i].name}: ${r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`} ${r.exitMs} ms after SIGTERM; ` +
          `/readyz meanwhile: ${r.readyz.map((run) => `${run.answer}×${run.count}`).join(' → ') || 'no answer'}; ` +
          `new process listening after ${r.listeningMs} ms, ready after ${r.readyMs} ms, UP in HAProxy after ${r.upMs} ms`,
      ),
      describeRequestLog(cluster.requestLog().slice(logFrom)),
    ].join('\n');
    console.info(`rolling restart:\n${figures}`);

    expect.soft(stats.failed, `failed requests during the rolling restart\n${figures}`).toBe(0);
    expect.soft(
      restarts.map((r) => ({ code: r.code, signal: r.signal })),
      `every replica exits with code 0 on SIGTERM\n${figures}`,
    ).toEqual(restarts.map(() => ({ code: 0, signal: null })));
    expect.soft(
      restarts.map((r) => r.notReadyBeforeClosing),
      `every replica answers /readyz 503 after SIGTERM, before it stops listening\n${figures}`,
    ).toEqual(restarts.map(() => true));
    // The cluster is whole again: every new process serves alice.
    for (const replica of cluster.replicas) {
      const direct = new Client(replica.url);
      direct.token = alice.token;
      const result = await direct.query(DEEP_QUERY);
      expect(isAlicesDeepAnswer(result.body.data), `${replica.name} after its restart: ${JSON.stringify(result.body)}`).toBe(true);
    }
  }, 120_000);
});
