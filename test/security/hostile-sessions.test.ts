/**
 * Session mode trusts only the session the gateway itself signed: a tampered
 * cookie or a session id a client sends in a header is nobody, and is never
 * passed on to a subgraph.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../shared/auth-modes/session/gateway.js';
import { modeVariants } from '../helpers/modes.js';
import { startStack, type Stack } from '../helpers/stack.js';

const sessionVariants = modeVariants().filter((variant) => variant.mode === 'session');

describe.each(sessionVariants)('hostile session credentials, $name', (variant) => {
  let stack: Stack;
  let aliceSid: string;
  let aliceCookie: string;
  beforeAll(async () => {
    stack = await startStack({ mode: variant.mode, env: variant.env, record: true });
    const alice = stack.client();
    await alice.login('alice', 'wonderland');
    await alice.query('{ me { id } }');
    aliceSid = stack.seen.accounts.map((request) => request.headers['x-session-id']).find(Boolean) as string;
    aliceCookie = alice.cookie!;
    expect(aliceSid).toBeDefined();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const forwardedSessionIds = () => Object.values(stack.seen).flatMap((requests) => requests.map((r) => r.headers['x-session-id']).filter(Boolean));
  const clearSeen = () => Object.values(stack.seen).forEach((requests) => (requests.length = 0));

  it('a cookie with a tampered signature is anonymous and forwards nothing', async () => {
    clearSeen();
    const [name, value] = aliceCookie.split('=');
    const tampered = stack.client();
    tampered.cookie = `${name}=${value.slice(0, -3)}abc`;
    const result = await tampered.query('{ me { id } products { id } }');
    expect(result.status).toBe(200);
    expect(result.body.data?.me).toBeNull();
    expect(forwardedSessionIds()).toEqual([]);
  });

  it("a real session id sent as a cookie without the gateway's signature is anonymous", async () => {
    clearSeen();
    const unsigned = stack.client();
    unsigned.cookie = `${SESSION_COOKIE}=${aliceSid}`;
    expect((await unsigned.query('{ me { id } }')).body.data?.me).toBeNull();
    expect(forwardedSessionIds()).toEqual([]);
  });

  it('a real session id sent by the client in X-Session-Id is ignored and never forwarded', async () => {
    clearSeen();
    const result = await stack.client().query('{ me { id } }', { headers: { 'x-session-id': aliceSid } });
    expect(result.body.data?.me).toBeNull();
    expect(forwardedSessionIds()).toEqual([]);
    // and alice herself is unaffected
    const alice = stack.client();
    alice.cookie = aliceCookie;
    expect((await alice.query('{ me { id } }')).body.data?.me).toEqual({ id: 'u1' });
  });
});
