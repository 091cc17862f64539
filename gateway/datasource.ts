/**
 * The gateway's subgraph client. Every fetch — incoming operation, health
 * check, schema loading — goes through willSendRequest, which strips any
 * identity header and adds the one the propagation strategy gives for the
 * caller. Schema loading and health checks have no user: they carry the
 * gateway's own identity.
 */
import { RemoteGraphQLDataSource } from '@apollo/gateway';
// The request kinds are not re-exported from the package root.
import { GraphQLDataSourceRequestKind, type GraphQLDataSourceProcessOptions } from '@apollo/gateway/dist/datasources/types.js';
import { addSubgraphCost, AUTH_COST_HEADER, type AuthCost } from '../shared/auth-cost.js';
import type { Caller } from './client-auth.js';
import { IDENTITY_HEADERS, type IdentityPropagation } from './propagation.js';

export interface GatewayContext {
  caller: Caller;
  /** What authentication cost this request, across every process (shared/auth-cost.ts). */
  cost: AuthCost;
}

export class IdentityDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly subgraphName: string,
    url: string,
    private readonly propagation: IdentityPropagation,
    private readonly gatewayCaller: Caller,
  ) {
    super({ url });
  }

  override async willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const headers = options.request.http!.headers;
    for (const name of IDENTITY_HEADERS) headers.delete(name);
    const incoming = options.kind === GraphQLDataSourceRequestKind.INCOMING_OPERATION;
    const caller = incoming ? options.context.caller : this.gatewayCaller;
    const cost = incoming ? options.context.cost : undefined;
    if (cost) cost.subgraphFetches++;
    for (const [name, value] of Object.entries(await this.propagation.headersFor(this.subgraphName, caller, cost))) {
      headers.set(name, value);
    }
  }

  override async didReceiveResponse({ response, context }: Parameters<NonNullable<RemoteGraphQLDataSource<GatewayContext>['didReceiveResponse']>>[0]) {
    // Schema loading has no per-request cost to add to.
    if (context.cost) addSubgraphCost(context.cost, response.http?.headers.get(AUTH_COST_HEADER));
    return response;
  }
}
