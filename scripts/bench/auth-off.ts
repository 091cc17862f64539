/**
 * "Auth off", the benchmark's two switches (only the benchmark uses them; no
 * environment variable or config value can select them):
 *
 * - in a subgraph, a programmatic authenticator handed to startSubgraph
 *   (SubgraphOptions.authenticator): it reads nothing from the request and
 *   answers a fixed caller, so resolvers do exactly the work they do for that
 *   caller in the other variants and only the cost of authentication differs;
 * - in this gateway, a programmatic strategy handed to startGateway
 *   (GatewayOptions.strategy): every request is that caller, nothing is read
 *   from it and nothing is added to subgraph fetches.
 *
 * A module of its own, without @apollo/gateway, so the subgraphs' process
 * does not load the gateway to get them.
 */
import type { Identity, SubgraphAuthenticator } from '@fedgw/subgraph-kit';
import type { GatewayAuthStrategy } from '../../shared/auth-modes/contract.js';

/** The benchmark's caller (demo user alice): what every variant answers for. */
export const BENCH_IDENTITY: Identity = Object.freeze({ kind: 'user', id: 'u1', scopes: Object.freeze(['admin']) as string[] });

export function noAuthAuthenticator(identity: Identity = BENCH_IDENTITY): SubgraphAuthenticator {
  return {
    identify: async () => identity,
    credentialsFor: async () => ({}),
    readiness: async () => ({ ok: true }),
    close: async () => {},
  };
}

/** This gateway with authentication switched off: every client request is the benchmark's caller; subgraph fetches carry no identity. */
export function noAuthStrategy(identity: Identity = BENCH_IDENTITY): GatewayAuthStrategy {
  const caller = Object.freeze({ identity });
  // The benchmark never signs in against this variant: a login or logout is an internal error.
  const notHere = async (): Promise<never> => {
    throw new Error('the benchmark runs this gateway with authentication switched off');
  };
  return {
    authenticate: async () => caller,
    propagation: { headersFor: async () => ({}) },
    middleware: [],
    signIn: notHere,
    signOut: notHere,
    endProviderSignIns: async () => 0,
    readiness: async () => ({ ok: true }),
    close: async () => {},
  };
}
