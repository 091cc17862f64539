/**
 * Observability, in every auth mode, on in-process servers whose log lines
 * are captured (the real processes: test/observability-processes.test.ts):
 * one request id and trace id across the gateway and every subgraph a query
 * reached, what the access lines say, /metrics counters after the decisions
 * that matter, METRICS_TOKEN, and no secret in any captured line.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './helpers/eventually.js';
import { metricValue, scrape } from './helpers/metrics.js';
import { modeVariants } from './helpers/modes.js';
import { DEEP_QUERY } from '../subgraphs/demo.js';
import { startStack, type Stack } from './helpers/stack.js';
import { type Client } from './helpers/http.js';

const METRICS_TOKEN = `metrics-${randomBytes(12).toString('hex')}`;
const SUBGRAPHS = ['accounts', 'orders', 'products', 'reviews'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.each(modeVariants())('observability, $name mode', (variant) => {
  let stack: Stack;
  /** Every client of the run, for the secrets they held. */
  const clients: Client[] = [];
  const client = () => {
    const made = stack.client();
    clients.push(made);
    return made;
  };
  const gatewayMetrics = () => scrape(stack.gatewayUrl, METRICS_TOKEN);
  const subgraphMetrics = (name: string) => scrape(stack.subgraphs[name].url, METRICS_TOKEN);
  /** The access lines ("request completed") with this request id, once the gateway has written its own. */
  const accessLines = (reqId: string) =>
    eventually(() => {
      const lines = stack.logs.lines().filter((line) => line.reqId === reqId && line.msg === 'request completed');
      expect(lines.some((line) => line.service === 'gateway')).toBe(true);
      return lines;
    });

  beforeAll(async () => {
    stack = await startStack({ mode: variant.mode, env: { ...variant.env, METRICS_TOKEN }, record: true, logs: true });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('follows a query through the gateway and every subgraph it reached by one request id and trace id', async () => {
    const alice = client();
    expect((await alice.login('alice', 'wonderland')).status).toBe(200);
    const reqId = `test-${randomBytes(6).toString('hex')}`;
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const result = await alice.query(DEEP_QUERY, { headers: { 'x-request-id': reqId, traceparent: `00-${traceId}-${callerSpan}-01` } });
    expect(result.body.data?.me?.id).toBe('u1');
    expect(result.headers.get('x-request-id')).toBe(reqId);

    const lines = await eventually(async () => {
      const found = await accessLines(reqId);
      expect(new Set(found.map((line) => line.service))).toEqual(new Set(['gateway', ...SUBGRAPHS]));
      return found;
    });
    for (const line of lines) expect(line).toMatchObject({ traceId, user: 'u1', level: 'info' });
    const gateway = lines.find((line) => line.service === 'gateway')!;
    expect(gateway).toMatchObject({ parentSpanId: callerSpan, status: 200, path: '/graphql', operation: { type: 'query', outcome: 'ok' } });
    expect([...gateway.subgraphs].sort()).toEqual(SUBGRAPHS);
    // Each subgraph's caller is one of the gateway's fetches: a child span of the gateway's trace, never the client's span.
    for (const line of lines.filter((l) => l.service !== 'gateway')) {
      expect(line.parentSpanId).toMatch(/^[0-9a-f]{16}$/);
      expect(line.parentSpanId).not.toBe(callerSpan);
    }
    // On the wire: every fetch has the request id and a traceparent of the same trace with a new parent id.
    const fetches = Object.values(stack.seen).flat().filter((seen) => seen.headers['x-request-id'] === reqId);
    expect(fetches.length).toBeGreaterThanOrEqual(SUBGRAPHS.length);
    const parents = fetches.map((seen) => {
      const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(seen.headers.traceparent));
      expect(match?.[1]).toBe(traceId);
      return match![2];
    });
    expect(new Set(parents).size).toBe(parents.length);
  });

  it('makes its own request id and trace when the client sends none, or unusable ones', async () => {
    const cases: Record<string, string>[] = [
      {},
      { 'x-request-id': 'has spaces and ; semicolons', traceparent: `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01` },
      { 'x-request-id': 'x'.repeat(200), traceparent: 'ff-not-a-traceparent' },
    ];
    for (const headers of cases) {
      const result = await client().query('{ products { id name } }', { headers });
      const reqId = result.headers.get('x-request-id')!;
      expect(reqId).toMatch(UUID);
      const lines = await eventually(async () => {
        const found = await accessLines(reqId);
        expect(found.map((line) => line.service)).toContain('products');
        return found;
      });
      const traceIds = new Set(lines.map((line) => line.traceId));
      expect(traceIds.size).toBe(1);
      expect([...traceIds][0]).toMatch(/^[0-9a-f]{32}$/);
      expect([...traceIds][0]).not.toBe('0'.repeat(32));
      expect(lines.find((line) => line.service === 'gateway')).toMatchObject({ user: null, operation: { outcome: 'ok' } });
    }
  });

  it('counts a successful and a refused login, by result and code', async () => {
    const before = await gatewayMetrics();
    const carol = client();
    expect((await carol.login('bob', 'not-his-password')).status).toBe(401);
    expect((await carol.login('bob', 'builder')).status).toBe(200);
    const after = await gatewayMetrics();
    const delta = (labels: Record<string, string>) =>
      metricValue(after, 'fedgw_authentications_total', labels) - metricValue(before, 'fedgw_authentications_total', labels);
    expect(delta({ method: 'login', result: 'ok', code: 'none' })).toBe(1);
    expect(delta({ method: 'login', result: 'refused', code: 'INVALID_CREDENTIALS' })).toBe(1);
    const logins = stack.logs.lines().filter((line) => line.service === 'gateway' && line.path === '/auth/login');
    expect(logins.some((line) => line.login === 'refused' && line.authCode === 'INVALID_CREDENTIALS' && line.status === 401)).toBe(true);
    expect(logins.some((line) => line.login === 'ok' && line.user === 'u2')).toBe(true);
  });

  it('counts an authorization denial by directive and names the field on the access line', async () => {
    const bob = client();
    await bob.login('bob', 'builder');
    const before = await gatewayMetrics();
    const result = await bob.query('{ me { id orders { id items { product { name cost } } } } }', { headers: { 'x-request-id': 'denial-1' } });
    expect(result.body.errors?.map((error) => error.extensions?.code)).toContain('UNAUTHORIZED_FIELD_OR_TYPE');
    const anonymous = await client().query('{ me { id } }');
    expect(anonymous.body.errors?.[0].extensions?.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
    const after = await gatewayMetrics();
    const delta = (directive: string) =>
      metricValue(after, 'fedgw_authorization_denials_total', { directive }) - metricValue(before, 'fedgw_authorization_denials_total', { directive });
    expect(delta('requiresScopes')).toBe(1);
    expect(delta('authenticated')).toBe(1);
    expect(metricValue(after, 'fedgw_graphql_requests_total', { outcome: 'partial' })).toBeGreaterThan(
      metricValue(before, 'fedgw_graphql_requests_total', { outcome: 'partial' }),
    );
    const [line] = (await accessLines('denial-1')).filter((l) => l.service === 'gateway');
    expect(line).toMatchObject({ user: 'u2', denied: ['Product.cost @requiresScopes'], errorCodes: ['UNAUTHORIZED_FIELD_OR_TYPE'], operation: { outcome: 'partial' } });
  });

  if (variant.mode === 'token') {
    it('counts a refused token at the gateway and at a subgraph, by code', async () => {
      const before = await gatewayMetrics();
      const forged = await client().query('{ me { id } }', { headers: { authorization: 'Bearer not.a.token', 'x-request-id': 'refused-1' } });
      expect(forged.status).toBe(401);
      expect(forged.body.errors?.[0].extensions?.code).toBe('TOKEN_INVALID');
      const after = await gatewayMetrics();
      const refused = { method: 'token', result: 'refused', code: 'TOKEN_INVALID' };
      expect(metricValue(after, 'fedgw_authentications_total', refused) - metricValue(before, 'fedgw_authentications_total', refused)).toBe(1);
      expect(
        metricValue(after, 'fedgw_graphql_requests_total', { outcome: 'refused' }) - metricValue(before, 'fedgw_graphql_requests_total', { outcome: 'refused' }),
      ).toBe(1);
      const [line] = await accessLines('refused-1');
      expect(line).toMatchObject({ status: 401, authCode: 'TOKEN_INVALID' });
      expect(line.subgraphs).toBeUndefined();

      // Straight at a subgraph, with the client's access token: not a gateway identity token.
      const subgraphBefore = await subgraphMetrics('accounts');
      const alice = client();
      await alice.login('alice', 'wonderland');
      const direct = await fetch(`${stack.subgraphs.accounts.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}`, 'x-request-id': 'direct-1' },
        body: JSON.stringify({ query: '{ me { id } }' }),
      });
      expect(direct.status).toBe(401);
      const subgraphAfter = await subgraphMetrics('accounts');
      const failures = (samples: Awaited<ReturnType<typeof scrape>>) =>
        metricValue(samples, 'fedgw_identity_token_verify_failures_total', { code: 'TOKEN_INVALID' });
      expect(failures(subgraphAfter) - failures(subgraphBefore)).toBe(1);
      await eventually(() => {
        const warning = stack.logs.lines().find((l) => l.service === 'accounts' && l.reqId === 'direct-1' && l.level === 'warn');
        expect(warning).toMatchObject({ authCode: 'TOKEN_INVALID', msg: 'request refused' });
      });
    });

    it('counts identity tokens signed and reused at the gateway, verified and cached at the subgraphs', async () => {
      const alice = client();
      await alice.login('alice', 'wonderland');
      await alice.query(DEEP_QUERY);
      await alice.query(DEEP_QUERY);
      const gateway = await gatewayMetrics();
      expect(metricValue(gateway, 'fedgw_identity_tokens_signed_total', { subgraph: 'orders' })).toBeGreaterThan(0);
      expect(metricValue(gateway, 'fedgw_identity_token_cache_hits_total', { subgraph: 'orders' })).toBeGreaterThan(0);
      const orders = await subgraphMetrics('orders');
      expect(metricValue(orders, 'fedgw_identity_tokens_verified_total')).toBeGreaterThan(0);
      expect(metricValue(orders, 'fedgw_identity_token_verify_cache_hits_total')).toBeGreaterThan(0);
      expect(metricValue(gateway, 'fedgw_subgraph_fetch_duration_seconds_count', { subgraph: 'orders', result: 'ok' })).toBeGreaterThan(0);
    });
  } else {
    it('counts session-store reads and their latency at the gateway and at the subgraphs, and logs only a hash of the session id', async () => {
      const alice = client();
      await alice.login('alice', 'wonderland');
      const before = { gateway: await gatewayMetrics(), orders: await subgraphMetrics('orders') };
      await alice.query(DEEP_QUERY, { headers: { 'x-request-id': 'session-1' } });
      const after = { gateway: await gatewayMetrics(), orders: await subgraphMetrics('orders') };
      for (const process of ['gateway', 'orders'] as const) {
        const reads = (samples: Awaited<ReturnType<typeof scrape>>) => metricValue(samples, 'fedgw_session_store_reads_total');
        expect(reads(after[process]) - reads(before[process])).toBeGreaterThan(0);
        expect(metricValue(after[process], 'fedgw_session_store_operation_duration_seconds_count', { operation: 'get' })).toBeGreaterThan(0);
        expect(metricValue(after[process], 'fedgw_session_store_errors_total')).toBe(0);
      }
      expect(metricValue(after.gateway, 'fedgw_authentications_total', { method: 'session', result: 'ok' })).toBeGreaterThan(
        metricValue(before.gateway, 'fedgw_authentications_total', { method: 'session', result: 'ok' }),
      );
      // The same short hash in every process's line: correlation without the credential.
      const lines = await accessLines('session-1');
      const hashes = new Set(lines.map((line) => line.session));
      expect(hashes.size).toBe(1);
      expect([...hashes][0]).toMatch(/^[0-9a-f]{12}$/);
    });
  }

  it('refuses GET /metrics without the METRICS_TOKEN, on the gateway and on a subgraph', async () => {
    for (const url of [stack.gatewayUrl, stack.subgraphs.reviews.url]) {
      const refused: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token-of-some-length' }, { authorization: METRICS_TOKEN }];
      for (const headers of refused) {
        const response = await fetch(`${url}/metrics`, { headers });
        expect(response.status).toBe(401);
        expect(((await response.json()) as any).error.code).toBe('METRICS_TOKEN_REQUIRED');
      }
      const ok = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
    }
  });

  it('wrote no secret of the run into any log line', async () => {
    const secrets = new Set<string>(['wonderland', 'builder', 'not-his-password', METRICS_TOKEN]);
    for (const made of clients) {
      if (made.token) secrets.add(made.token);
      if (made.cookie) {
        const value = made.cookie.slice(made.cookie.indexOf('=') + 1);
        secrets.add(value);
        const signed = decodeURIComponent(value); // s:<session id>.<signature>
        secrets.add(signed.slice(2, signed.lastIndexOf('.')));
      }
    }
    for (const requests of Object.values(stack.seen)) {
      for (const { headers } of requests) {
        const token = /^Bearer (.+)$/.exec(String(headers.authorization ?? ''))?.[1];
        if (token) secrets.add(token);
        if (typeof headers['x-session-id'] === 'string') secrets.add(headers['x-session-id']);
      }
    }
    // The run did hold credentials of its mode, so the scan below means something.
    expect(secrets.size).toBeGreaterThan(5);
    const text = stack.logs.raw.join('');
    expect(stack.logs.raw.length).toBeGreaterThan(20);
    for (const secret of secrets) expect(text.includes(secret), `a log line holds a secret (${secret.slice(0, 4)}…)`).toBe(false);
  });
});
