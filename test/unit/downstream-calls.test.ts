import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AuthError, CodedError, downstreamCalls, DownstreamUnavailableError, emptySubgraphCost } from '@fedgw/subgraph-kit';

const forwarding = { credentialsFor: async () => ({ 'x-session-id': 'a-session' }) };

/** A port that was just free: nothing answers there. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("a subgraph's call to a downstream service", () => {
  it('that gets no answer is DOWNSTREAM_UNAVAILABLE (502), an error of its own and not an authentication refusal', async () => {
    const cost = emptySubgraphCost();
    const calls = downstreamCalls(forwarding, ['payments'], {}, cost);
    const failure = await calls.fetch('payments', `http://127.0.0.1:${await closedPort()}/payments/o1`).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DownstreamUnavailableError);
    expect(failure).toBeInstanceOf(CodedError);
    expect(failure).not.toBeInstanceOf(AuthError);
    expect([(failure as CodedError).code, (failure as CodedError).status]).toEqual(['DOWNSTREAM_UNAVAILABLE', 502]);
    expect(cost.downstreamCalls).toBe(1);
  });

  it('that gets an answer returns it as it is, with the caller carried', async () => {
    const server = http.createServer((req, res) => res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ seen: req.headers['x-session-id'] })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const calls = downstreamCalls(forwarding, ['payments'], {}, emptySubgraphCost());
      const response = await calls.fetch('payments', `http://127.0.0.1:${(server.address() as AddressInfo).port}/payments/o1`);
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ seen: 'a-session' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
