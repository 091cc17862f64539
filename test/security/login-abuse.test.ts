/**
 * Login abuse (issue 7, item 4): POST /auth/login is rate limited per client
 * IP and per username, with 429 RATE_LIMITED and Retry-After, the same for
 * known and unknown usernames; with a Redis store the counters are shared by
 * replicas. Each mode gets its own stack with low limits (the rest of the
 * suite runs on the generous defaults). The stack trusts a loopback proxy,
 * so each case speaks from its own client address (X-Forwarded-For) and
 * counts only its own attempts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../../shared/config/gateway.js';
import { DUMMY_HASH, hashPassword } from '../../gateway/auth/users.js';
import { modeVariants } from '../helpers/modes.js';
import { expectStillServes, subgraphOperations } from '../helpers/refusals.js';
import { send, type Answer } from '../helpers/http.js';
import { startStack, type Stack } from '../helpers/stack.js';

const WINDOW_SECONDS = 600;
const PER_IP = 6;
const PER_USERNAME = 3;

function login(baseUrl: string, username: unknown, password: unknown, ip: string): Promise<Answer> {
  return send(`${baseUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({ username, password }),
  });
}

function expectRateLimited(answer: Answer) {
  expect(answer.status).toBe(429);
  expect(answer.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.any(String) } });
  const retryAfter = Number(answer.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
}

let nextAddress = 10;
/** A fresh client address (TEST-NET-3) for each case. */
const freshIp = () => `203.0.113.${nextAddress++}`;

describe.each(modeVariants())('login abuse, $name mode', (variant) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      mode: variant.mode,
      env: {
        ...variant.env,
        TRUST_PROXY: 'loopback',
        LOGIN_RATE_LIMIT_WINDOW: String(WINDOW_SECONDS),
        LOGIN_RATE_LIMIT_PER_IP: String(PER_IP),
        LOGIN_RATE_LIMIT_PER_USERNAME: String(PER_USERNAME),
        SUBGRAPH_POLL_INTERVAL: '0',
      },
      record: true,
    });
  });
  afterAll(async () => {
    await stack?.close();
  });
  // Every case ends the same way: the gateway still answers a normal query.
  afterEach(async () => {
    await expectStillServes(stack);
  });

  it('successful logins do not count against the username limit', async () => {
    for (let i = 0; i < PER_USERNAME + 2; i++) {
      const answer = await login(stack.gatewayUrl, 'bob', 'builder', freshIp());
      expect(answer.status).toBe(200);
    }
  });

  it('guessing one password: after PER_USERNAME failures 429 RATE_LIMITED with Retry-After, even for the right password', async () => {
    const before = subgraphOperations(stack);
    for (let i = 0; i < PER_USERNAME; i++) {
      // From a new address each time: the per-username limit holds across IPs.
      const answer = await login(stack.gatewayUrl, 'alice', `guess-${i}`, freshIp());
      expect(answer.status).toBe(401);
      expect(answer.code).toBe('INVALID_CREDENTIALS');
    }
    expectRateLimited(await login(stack.gatewayUrl, 'alice', 'guess-again', freshIp()));
    expectRateLimited(await login(stack.gatewayUrl, 'alice', 'wonderland', freshIp()));
    // Case and Unicode variants of the name share its counter.
    expectRateLimited(await login(stack.gatewayUrl, ' ALICE', 'guess', freshIp()));
    expectRateLimited(await login(stack.gatewayUrl, 'ａｌｉｃｅ', 'guess', freshIp()));
    expect(subgraphOperations(stack)).toBe(before);
    // Other users are not affected.
    const bob = await login(stack.gatewayUrl, 'bob', 'builder', freshIp());
    expect(bob.status).toBe(200);
  });

  it('an unknown username is limited exactly like a known one (no enumeration)', async () => {
    const answers: Answer[] = [];
    for (const username of ['mallory', 'bob']) {
      for (let i = 0; i <= PER_USERNAME; i++) answers.push(await login(stack.gatewayUrl, username, `guess-${i}`, freshIp()));
    }
    const [mallory, bob] = [answers.slice(0, PER_USERNAME + 1), answers.slice(PER_USERNAME + 1)];
    expect(mallory.map((answer) => answer.status)).toEqual([...Array(PER_USERNAME).fill(401), 429]);
    expect(bob.map((answer) => answer.status)).toEqual(mallory.map((answer) => answer.status));
    expect(bob.map((answer) => answer.body)).toEqual(mallory.map((answer) => answer.body));
    expectRateLimited(mallory[PER_USERNAME]);
  });

  it('spraying many usernames from one IP: after PER_IP attempts 429 RATE_LIMITED, for any username', async () => {
    const ip = freshIp();
    for (let i = 0; i < PER_IP; i++) {
      const answer = await login(stack.gatewayUrl, `user-${ip}-${i}`, 'password1', ip);
      expect(answer.status).toBe(401);
    }
    expectRateLimited(await login(stack.gatewayUrl, 'bob', 'builder', ip));
    // Another client is not affected.
    expect((await login(stack.gatewayUrl, `user-${ip}-0`, 'password1', freshIp())).status).toBe(401);
  });

  it('a client cannot pick a new address by prepending to X-Forwarded-For behind the trusted proxy', async () => {
    const ip = freshIp();
    for (let i = 0; i < PER_IP; i++) {
      const answer = await login(stack.gatewayUrl, `spoof-${ip}-${i}`, 'password1', `198.51.100.${i}, ${ip}`);
      expect(answer.status).toBe(401);
    }
    expectRateLimited(await login(stack.gatewayUrl, 'spoofer', 'password1', `198.51.100.200, ${ip}`));
  });

  it('a malformed login body is still counted per IP, and answered 400 BAD_REQUEST', async () => {
    const ip = freshIp();
    for (let i = 0; i < PER_IP; i++) {
      const answer = await login(stack.gatewayUrl, ['alice'], { $ne: null }, ip);
      expect(answer.status).toBe(400);
      expect(answer.code).toBe('BAD_REQUEST');
    }
    expectRateLimited(await login(stack.gatewayUrl, 'bob', 'builder', ip));
  });

  // Shared counters exist only where the store is Redis.
  if (variant.name === 'session (redis)') it('replicas share the counters through Redis', async () => {
    const replica = await stack.startReplica();
    const urls = [stack.gatewayUrl, replica.url, stack.gatewayUrl];
    for (const [i, url] of urls.entries()) {
      const answer = await login(url, 'shared-victim', `guess-${i}`, freshIp());
      expect(answer.status).toBe(401);
    }
    expectRateLimited(await login(replica.url, 'shared-victim', 'guess', freshIp()));
    expectRateLimited(await login(stack.gatewayUrl, 'shared-victim', 'guess', freshIp()));
  });
});

describe('login abuse settings and the password check', () => {
  it('has defaults generous enough for a test suite, strict enough for guessing', () => {
    expect(loadGatewayConfig({}).hardening.loginRateLimit).toEqual({ windowSeconds: 900, perIp: 100, perUsername: 10 });
  });

  it('checks an unknown user against a dummy hash of the same shape as a real one (same scrypt work)', async () => {
    const shape = (stored: string) => {
      const [scheme, salt, hash] = stored.split(':');
      return { scheme, salt: Buffer.from(salt, 'base64url').length, hash: Buffer.from(hash, 'base64url').length };
    };
    expect(shape(DUMMY_HASH)).toEqual(shape(await hashPassword('any password')));
    expect(shape(DUMMY_HASH)).toEqual({ scheme: 'scrypt', salt: 16, hash: 32 });
  });
});
