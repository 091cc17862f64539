/**
 * What token mode's own work costs the gateway per request, in isolation:
 * the work variant (t) does and (n) does not — find the caller behind a
 * repeated access token (from memory, revocation checked) and put a cached
 * identity token on each subgraph fetch, metrics counted — in this process,
 * with a throwaway key and the production code, nothing else around it.
 * Set beside the load comparison of (t) with (n), it says how much of that
 * difference is this work and how much lies elsewhere.
 */
import { createLocalJWKSet, exportJWK, generateKeyPair } from 'jose';
import type { Request } from 'express';
import { gatewayAccessTokens, mintAccessToken } from '../../shared/auth-modes/token/access-token.js';
import { bearerCallers } from '../../shared/auth-modes/token/gateway.js';
import { tokenPropagation } from '../../shared/auth-modes/token/propagation.js';
import { emptyAuthCost } from '../../shared/observability/auth-cost.js';
import { createGatewayMetrics } from '../../shared/observability/metrics.js';
import { BENCH_IDENTITY } from './auth-off.js';

export interface TokenCost {
  requests: number;
  /** CPU ms (user + system) per request: authenticating it, and per subgraph fetch: its identity-token header. */
  authenticateMs: number;
  perFetchMs: number;
}

const ISSUER = 'http://gateway.bench';
const SUBGRAPHS = ['accounts', 'inventory', 'products', 'reviews'];

export async function measureTokenCost(requests = 20_000): Promise<TokenCost> {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const current = { kid: 'bench', privateKey: pair.privateKey };
  const verificationKeys = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'bench', alg: 'EdDSA' }] });
  const keys = { current, verificationKeys, onRemoved: () => {} };
  const token = await mintAccessToken(current, BENCH_IDENTITY, { issuer: ISSUER, ttlSeconds: 3600, sid: 'bench-sign-in' });
  const authenticate = bearerCallers([gatewayAccessTokens(keys, ISSUER)], { isRevoked: () => false });
  const propagation = tokenPropagation({ keys, issuer: ISSUER, ttlSeconds: 300, observer: createGatewayMetrics() });
  // Each request its own header string and caller, as on the wire.
  const request = () => ({ headers: { authorization: `Bearer ${token}` } }) as unknown as Request;
  const fetches = async (caller: Awaited<ReturnType<typeof authenticate>>) => {
    const cost = emptyAuthCost();
    for (const subgraph of SUBGRAPHS) await propagation.headersFor(subgraph, caller, cost);
  };

  for (let i = 0; i < 2000; i++) await fetches(await authenticate(request()));
  const callers = [];
  const authenticating = process.cpuUsage();
  for (let i = 0; i < requests; i++) callers.push(await authenticate(request()));
  const authenticated = process.cpuUsage(authenticating);
  const fetching = process.cpuUsage();
  for (const caller of callers) await fetches(caller);
  const fetched = process.cpuUsage(fetching);
  const ms = (usage: NodeJS.CpuUsage, count: number) => (usage.user + usage.system) / 1000 / count;
  return { requests, authenticateMs: ms(authenticated, requests), perFetchMs: ms(fetched, requests * SUBGRAPHS.length) };
}
