/**
 * Token exchange (RFC 8693), the gateway's side: POST /auth/token with
 * grant_type=urn:ietf:params:oauth:grant-type:token-exchange. A subgraph
 * trades the identity token it received (a downstream service listed as a
 * `"kind": "service"` client, a hop further, the downstream token it
 * received) for a downstream token for one service it may call.
 *
 * - The subgraph authenticates as itself, with a client assertion signed by
 *   its own key (RFC 7523; its keys: `jwks` in the subgraph list), so a
 *   captured identity token alone can never be exchanged. Each assertion is
 *   taken once, on whichever replica sees it first.
 * - It may ask only for a service its entry lists in `downstream`.
 * - The subject token must be addressed to that client, of the kind such a
 *   client receives (a subgraph: an identity token; a service: a downstream
 *   token), good, and of a sign-in that is not revoked.
 * - The token issued carries the caller (`sub`), at most the subject's
 *   scopes, `act` naming the subgraph (nesting the previous actor a hop
 *   further), and expires no later than the subject token.
 *
 * The subgraph side, and both token formats: @fedgw/subgraph-kit/token.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { AuthError } from '@fedgw/subgraph-kit';
import {
  actorChain,
  CLIENT_ASSERTION_TYPE,
  DOWNSTREAM_TOKEN_TYP,
  IDENTITY_TOKEN_TYP,
  JWT_TOKEN_TYPE,
  MAX_ACTOR_DEPTH,
  mintDownstreamToken,
  verifyClientAssertion,
  verifyDownstreamToken,
  verifyIdentityToken,
  type Actor,
} from '@fedgw/subgraph-kit/token';
import { OAuthError } from '../../errors.js';
import type { SharedStore } from '../../store/contract.js';
import type { ExchangeClient, ExchangeClients, SigningKeys, TokenGrant } from '../contract.js';
import type { RevocationList } from './revocation-list.js';

export interface ExchangeGrantOptions {
  issuer: string;
  keys: SigningKeys;
  clients: ExchangeClients;
  revocations: Pick<RevocationList, 'isRevoked'>;
  store: SharedStore;
  /** The longest a downstream token lives (IDENTITY_TOKEN_TTL); never past its subject's end. */
  ttlSeconds: number;
}

/** The caller and actors the subject token vouches for. */
interface Subject {
  sub: string;
  scopes: string[];
  sid?: string;
  exp: number;
  /** A downstream token's actor chain (a further hop). */
  act?: Actor;
}

export function exchangeGrant(options: ExchangeGrantOptions): TokenGrant {
  return async (params) => {
    const client = await authenticateClient(params, options);
    const audience = requestedAudience(params, client);
    const subject = await verifySubject(params, client, options);
    const scopes = grantedScopes(params.scope, subject.scopes);
    const now = Math.floor(Date.now() / 1000);
    const expiresAt = Math.min(subject.exp, now + options.ttlSeconds);
    if (expiresAt <= now) throw new OAuthError('invalid_grant', 'the subject token is about to expire');
    const actor: Actor = subject.act ? { sub: client.name, act: subject.act } : { sub: client.name };
    const minted = await mintDownstreamToken(options.keys.current, {
      issuer: options.issuer,
      audience,
      subject: { sub: subject.sub, scopes, ...(subject.sid !== undefined ? { sid: subject.sid } : {}) },
      actor,
      expiresAt,
    });
    return { access_token: minted.token, issued_token_type: JWT_TOKEN_TYPE, token_type: 'Bearer', expires_in: expiresAt - now, scope: scopes.join(' ') };
  };
}

/** The subgraph behind the request, proven by its client assertion: invalid_client otherwise. */
async function authenticateClient(params: Record<string, string>, { clients, issuer, store }: ExchangeGrantOptions): Promise<ExchangeClient> {
  const assertion = params.client_assertion;
  if (params.client_assertion_type !== CLIENT_ASSERTION_TYPE || !assertion) {
    throw new OAuthError('invalid_client', `token exchange needs the subgraph's own client assertion (client_assertion_type=${CLIENT_ASSERTION_TYPE})`);
  }
  const name = unverifiedIssuer(assertion);
  const client = name === undefined ? undefined : clients.find(name);
  if (!client || (params.client_id !== undefined && params.client_id !== name)) throw new OAuthError('invalid_client', 'unknown client');
  // Checked before the signature: a subgraph that calls nothing has no keys registered to check it with.
  if (client.downstream.length === 0) throw new OAuthError('unauthorized_client', `${name} lists no downstream services, so it may not exchange tokens`);
  let verified: Awaited<ReturnType<typeof verifyClientAssertion>>;
  try {
    verified = await verifyClientAssertion(assertion, { keys: client.keys, clientId: client.name, audience: issuer });
  } catch (error) {
    if (error instanceof AuthError && error.code === 'KEYS_UNAVAILABLE') throw new OAuthError('temporarily_unavailable', `${name}'s keys cannot be fetched now`);
    throw new OAuthError('invalid_client', `the client assertion is not ${name}'s: ${(error as Error).message}`);
  }
  if (!(await store.tickets.claim(`client-assertion:${client.name}:${verified.jti}`, verified.exp * 1000))) {
    throw new OAuthError('invalid_client', 'this client assertion was already used');
  }
  return client;
}

function unverifiedIssuer(assertion: string): string | undefined {
  try {
    const { iss } = decodeJwt(assertion);
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}

/** The one service the token is for: one of the client's `downstream`, else invalid_target. */
function requestedAudience(params: Record<string, string>, client: ExchangeClient): string {
  if (params.subject_token === undefined || params.subject_token_type !== JWT_TOKEN_TYPE) {
    throw new OAuthError('invalid_request', `subject_token and subject_token_type=${JWT_TOKEN_TYPE} are required`);
  }
  if (params.requested_token_type !== undefined && params.requested_token_type !== JWT_TOKEN_TYPE) {
    throw new OAuthError('invalid_request', `requested_token_type can only be ${JWT_TOKEN_TYPE}`);
  }
  if (params.resource !== undefined) throw new OAuthError('invalid_target', 'name the service in audience, not resource');
  if (!params.audience) throw new OAuthError('invalid_request', 'audience (the service to call) is required');
  if (!client.downstream.includes(params.audience)) throw new OAuthError('invalid_target', `${client.name} may not call ${JSON.stringify(params.audience)}`);
  return params.audience;
}

/** The subject token: addressed to the client, good, of a live sign-in, for a person — invalid_grant otherwise. */
async function verifySubject(params: Record<string, string>, client: ExchangeClient, options: ExchangeGrantOptions): Promise<Subject> {
  const rules = { keys: options.keys.verificationKeys, issuer: options.issuer, audience: client.name };
  let subject: Subject | undefined;
  try {
    // Each kind of client receives one kind of token: a subgraph never holds a downstream token, nor a service an identity token.
    const typ = decodeProtectedHeader(params.subject_token).typ;
    if (typ === IDENTITY_TOKEN_TYP && client.kind === 'subgraph') {
      const claims = await verifyIdentityToken(params.subject_token, rules);
      subject = claims.sub === undefined || claims.sub === options.issuer ? undefined : { ...claims, sub: claims.sub };
    } else if (typ === DOWNSTREAM_TOKEN_TYP && client.kind === 'service') {
      subject = await verifyDownstreamToken(params.subject_token, rules);
    }
  } catch (error) {
    const reason = error instanceof AuthError ? error.message : 'it is not a JWT';
    throw new OAuthError('invalid_grant', `the subject token was refused: ${reason}`);
  }
  if (!subject) throw new OAuthError('invalid_grant', `the subject token must be ${client.kind === 'subgraph' ? 'an identity' : 'a downstream'} token for ${client.name}, of a signed-in caller`);
  if (options.revocations.isRevoked(undefined, subject.sid)) throw new OAuthError('invalid_grant', 'the subject token was revoked (its owner logged out)');
  if (subject.act && actorChain(subject.act).length >= MAX_ACTOR_DEPTH) throw new OAuthError('invalid_grant', `no more than ${MAX_ACTOR_DEPTH} hops`);
  return subject;
}

/** `scope` asks for a subset of the subject's scopes (all of them when absent): invalid_scope otherwise. */
function grantedScopes(requested: string | undefined, held: string[]): string[] {
  if (requested === undefined) return held;
  const asked = requested.split(' ').filter((scope) => scope !== '');
  const missing = asked.filter((scope) => !held.includes(scope));
  if (missing.length > 0) throw new OAuthError('invalid_scope', `the caller does not hold ${missing.join(' ')}`);
  return [...new Set(asked)];
}
