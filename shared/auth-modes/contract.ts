/**
 * The auth-mode interface: what a mode gives the gateway and what it gives
 * a subgraph. A mode (one folder next to this file) names both ends, so the
 * two cannot drift apart; index.ts lists the modes. No server code outside
 * a mode's folder (and the kit's) branches on a mode's name.
 *
 * - Gateway end (GatewayAuthStrategy, in the mode's folder here): who the
 *   caller of a client request is (client authentication), signing in and
 *   out, and what each subgraph fetch carries so the subgraph learns the
 *   caller (propagation).
 * - Subgraph end (SubgraphAuthenticator, in the subgraph kit,
 *   @fedgw/subgraph-kit src/modes/<mode>/): an incoming request's headers in,
 *   the caller's Identity (or null for anonymous) out, or an AuthError to
 *   refuse the request. Every subgraph, ours or another team's, runs it.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import type { Identity, Readiness, SignedInUser, SubgraphModeDefinition } from '@fedgw/subgraph-kit';
import type { SigningKey } from '@fedgw/subgraph-kit/token';
import type { GatewayConfig } from '../config/gateway.js';
import type { AuthCost } from '../observability/auth-cost.js';
import type { CarrierNote } from '../observability/auth-trace.js';
import type { Logger } from '../observability/logger.js';
import type { SharedStore } from '../store/contract.js';

/** The caller of one client request, as the gateway authenticated it. */
export interface Caller {
  /** null: anonymous. */
  identity: Identity | null;
  /** Session mode only: the id of the caller's authenticated session. */
  sessionId?: string;
  /** Token mode: the sign-in the caller's access token belongs to (its identity tokens carry it). */
  sid?: string;
}

export const ANONYMOUS: Caller = Object.freeze({ identity: null });

/** What the gateway adds to one subgraph fetch so the subgraph learns who the caller is. */
export interface IdentityPropagation {
  /**
   * Headers for one fetch to `subgraph` on behalf of `caller`; what it cost goes into `cost`. With the
   * auth trace on, `trace` is told what carried the caller (never the credential itself).
   */
  headersFor(subgraph: string, caller: Caller, cost?: AuthCost, trace?: CarrierNote): Promise<Record<string, string>>;
}

export interface GatewayAuthStrategy {
  /** The caller of a client request; throws AuthError for a credential that is present but not good. Adds what it did to `cost`. */
  authenticate(req: Request, cost: AuthCost): Promise<Caller>;
  propagation: IdentityPropagation;
  /** Middleware in front of /auth and /graphql (session mode: the session itself). */
  middleware: RequestHandler[];
  /**
   * Signs `user` in on this request — session mode regenerates the session,
   * token mode issues tokens — and says what the client gets; the route
   * answers it (a login's JSON, or the ticket of a provider's callback).
   */
  signIn(req: Request, res: Response, user: SignedInUser, origin?: ProviderSignIn): Promise<SignInAnswer>;
  /** Ends the caller's sign-in (POST /auth/logout; the route answers). */
  signOut(req: Request, res: Response): Promise<{ viaProvider: boolean }>;
  /**
   * Ends every session or sign-in that an identity provider's session (`sid`)
   * — or, without one, its subject (`sub`) — led to (back-channel logout).
   * Returns how many.
   */
  endProviderSignIns(ref: { sid?: string; sub?: string }): Promise<number>;
  /** The grants POST /auth/token answers in this mode, by `grant_type` (none: every grant_type is unsupported). */
  grants?: Record<string, TokenGrant>;
  /** Whatever this mode needs to serve requests (session mode: the store) answers. */
  readiness(): Promise<Readiness>;
  close(): Promise<void>;
}

/** A sign-in through an OpenID Connect provider: what the gateway keeps of it, server-side only. */
export interface ProviderSignIn {
  /** The provider's session (`sid` of its ID token), for back-channel logout. */
  sid?: string;
  sub: string;
  /** The provider's tokens: they stay on the server, never reach the browser. */
  tokens: { idToken?: string; accessToken?: string; refreshToken?: string };
}

/** What a sign-in gives the client: the login's JSON body; in token mode the tokens it holds. */
export interface SignInAnswer {
  body: Record<string, unknown>;
  /** Token mode: the answer is the client's credential (delivered by a one-time ticket after a provider's callback). */
  carriesTokens: boolean;
}

/** An OAuth 2.0 access token response (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  /** RFC 8693: what a token exchange issued. */
  issued_token_type?: string;
}

/** One grant of POST /auth/token: the form's parameters in, a token response out; refusals are OAuthErrors. */
export type TokenGrant = (params: Record<string, string>, req: Request) => Promise<TokenResponse>;

/** The gateway's signing keys, live, as the token formats need them (gateway/auth/signing-keys.ts). */
export interface SigningKeys {
  /** The key that signs now (it changes when a new key activates). */
  readonly current: SigningKey;
  /** Public keys of every key published now, for GET /.well-known/jwks.json. */
  readonly jwks: JSONWebKeySet;
  /** A key resolver over the published keys, for verifying the gateway's own access tokens. */
  verificationKeys: JWTVerifyGetKey;
  /** Called when a key stops being published: what was verified with it must be checked again. */
  onRemoved(listener: () => void): void;
}

/** Told of identity tokens signed and reused (metrics). */
export interface PropagationObserver {
  tokenSigned(subgraph: string): void;
  tokenCacheHit(subgraph: string): void;
}

export interface GatewayModeContext {
  config: GatewayConfig;
  keys: SigningKeys;
  /** The shared store, opened by the gateway (its login counters live there too). */
  store: SharedStore;
  logger: Logger;
  observer?: PropagationObserver;
  /** Who may exchange tokens for calls to other services (token mode's token exchange); none when absent. */
  exchangeClients?: ExchangeClients;
}

/** A subgraph, or a downstream service calling further, that may call other services on the caller's behalf: a client of token exchange. */
export interface ExchangeClient {
  name: string;
  /** What the list says it is: a subgraph exchanges the identity tokens it receives, a service the downstream tokens. */
  kind: 'subgraph' | 'service';
  /** The services it may exchange tokens for (their names: the tokens' audiences). */
  downstream: readonly string[];
  /** Its own public keys, which its client assertions are checked against. */
  keys: JWTVerifyGetKey;
}

export interface ExchangeClients {
  /** The subgraph or service named `name` as the list says now; undefined when it is not listed. `downstream` is empty for one that calls nothing. */
  find(name: string): ExchangeClient | undefined;
}

/** One auth mode: its name (the value of AUTH_MODE) and a factory for each end. */
export interface AuthModeDefinition {
  gateway(context: GatewayModeContext): Promise<GatewayAuthStrategy>;
  /** The mode's subgraph end, the kit's (SUBGRAPH_MODES[<mode>]): what every subgraph runs. */
  subgraph: SubgraphModeDefinition;
}
