/**
 * Helpers for the request-hardening suites (test/security/): send a raw HTTP
 * request, read the stable error code from either error shape, count what
 * the subgraphs were asked, and check the gateway still serves.
 */
import { expect } from 'vitest';
import type { Stack } from './stack.js';

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
  /** `error.code` (non-GraphQL errors) or the first `errors[].extensions.code` (GraphQL errors). */
  code: string | undefined;
}

export async function send(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`expected a JSON answer, got ${response.status} ${response.headers.get('content-type')}: ${text.slice(0, 200)}`);
  }
  return { status: response.status, headers: response.headers, body, code: body?.error?.code ?? body?.errors?.[0]?.extensions?.code };
}

/** POST /graphql with a JSON body (an object, or a raw string/Buffer sent as is). */
export function postGraphQL(stack: Stack, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return send(`${stack.gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body),
  });
}

/** Operations the subgraphs received for client requests (schema loading by the gateway left out). */
export function subgraphOperations(stack: Stack): number {
  let count = 0;
  for (const requests of Object.values(stack.seen)) {
    count += requests.filter(({ body }) => !body.includes('_service')).length;
  }
  return count;
}

/**
 * Runs `attempt` and checks that no subgraph was asked anything meanwhile:
 * the refusal happened at the gateway, before planning.
 */
export async function refusedAtGateway(stack: Stack, attempt: () => Promise<Answer>): Promise<Answer> {
  const before = subgraphOperations(stack);
  const answer = await attempt();
  expect(subgraphOperations(stack), 'a subgraph was called for a refused request').toBe(before);
  return answer;
}

/** A normal query still answers, with data from a subgraph. */
export async function expectStillServes(stack: Stack): Promise<void> {
  const result = await stack.client().query('{ products { id name } }');
  expect(result.status).toBe(200);
  expect(result.body.data?.products).toHaveLength(3);
}
