/**
 * Helpers for the request-hardening suites (test/security/): post a raw
 * GraphQL body, count what the subgraphs were asked, and check the gateway
 * still serves.
 */
import { expect } from 'vitest';
import { postJson, type Answer } from './http.js';
import type { Stack } from './stack.js';

/** POST /graphql with a JSON body (an object, or a raw string/Buffer sent as is). */
export function postGraphQL(stack: Stack, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return postJson(`${stack.gatewayUrl}/graphql`, body, headers);
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
