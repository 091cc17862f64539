/**
 * The downstream token: what the gateway's token exchange (RFC 8693) issues
 * to a subgraph so it can call another service on the caller's behalf. The
 * gateway mints it; the downstream service (and the gateway again, for a
 * further hop) verifies it. Both sides live here. Format: docs/design.md,
 * "The downstream token".
 *
 * It says who the caller is (`sub`, `scope` — never more than the subject
 * token had), for which one service (`aud`), and who is acting for them:
 * `act` (RFC 8693 §4.1) names the subgraph that exchanged; a further hop
 * nests the previous actor inside (`act.act`), and only the outermost actor
 * is the one that called. Header `typ: downstream+jwt`: it can never pass as
 * an identity token, an access token or a client assertion, nor they as it.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, type JWTVerifyGetKey } from 'jose';
import { AuthError } from '../../errors.js';
import { parseScopes, type Identity } from '../../identity.js';
import { SIGNING_ALGORITHM, verifyJwt } from '../../jwt.js';
import type { MintedToken, SigningKey } from './identity-token.js';

export const DOWNSTREAM_TOKEN_TYP = 'downstream+jwt';
/** How many actors a chain may name. */
export const MAX_ACTOR_DEPTH = 5;

/** RFC 8693 §4.1: the actor, and the one it acts for in turn. */
export interface Actor {
  sub: string;
  act?: Actor;
}

export interface DownstreamSubject {
  sub: string;
  scopes: string[];
  /** The sign-in it comes from (what a revocation names). */
  sid?: string;
}

export interface DownstreamMintOptions {
  issuer: string;
  /** The one service this token is for. */
  audience: string;
  subject: DownstreamSubject;
  actor: Actor;
  /** seconds since the epoch: never later than the subject token's. */
  expiresAt: number;
}

export async function mintDownstreamToken(key: SigningKey, options: DownstreamMintOptions): Promise<MintedToken> {
  const { subject } = options;
  const token = await new SignJWT({ scope: subject.scopes.join(' '), act: options.actor, ...(subject.sid !== undefined ? { sid: subject.sid } : {}) })
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: DOWNSTREAM_TOKEN_TYP })
    .setIssuer(options.issuer)
    .setSubject(subject.sub)
    .setAudience(options.audience)
    .setIssuedAt()
    .setExpirationTime(options.expiresAt)
    .setJti(randomUUID())
    .sign(key.privateKey);
  return { token, expiresAt: options.expiresAt };
}

export interface DownstreamClaims extends DownstreamSubject {
  act: Actor;
  /** seconds since the epoch */
  exp: number;
}

/** Checks a downstream token addressed to `audience`; throws AuthError TOKEN_INVALID/TOKEN_EXPIRED/KEYS_UNAVAILABLE. */
export async function verifyDownstreamToken(token: string, options: { keys: JWTVerifyGetKey; issuer: string; audience: string }): Promise<DownstreamClaims> {
  const payload = await verifyJwt(token, options.keys, {
    typ: DOWNSTREAM_TOKEN_TYP,
    issuer: options.issuer,
    audience: options.audience,
    requiredClaims: ['jti', 'sub', 'act'],
    singleAudience: true,
  });
  return {
    sub: payload.sub!,
    scopes: parseScopes(payload.scope),
    ...(typeof payload.sid === 'string' ? { sid: payload.sid } : {}),
    act: parseActor(payload.act, 1),
    exp: payload.exp!,
  };
}

function parseActor(value: unknown, depth: number): Actor {
  const actor = value as Record<string, unknown> | null;
  if (depth > MAX_ACTOR_DEPTH || typeof actor !== 'object' || actor === null || typeof actor.sub !== 'string' || actor.sub === '') {
    throw new AuthError('TOKEN_INVALID', 'token is invalid: act claim check failed');
  }
  return actor.act === undefined ? { sub: actor.sub } : { sub: actor.sub, act: parseActor(actor.act, depth + 1) };
}

/** The actors of a chain, the one that called first: `orders`, then whoever it acted for. */
export function actorChain(act: Actor): string[] {
  return act.act ? [act.sub, ...actorChain(act.act)] : [act.sub];
}

/** Who called a downstream service: the caller, and the chain of services acting for them (the calling one first). */
export interface DownstreamCaller {
  identity: Identity;
  actors: string[];
}

/**
 * The downstream service's check: a good downstream token for `audience`,
 * whose calling actor (the outermost `act`) is one of `allowedActors` —
 * else ACTOR_NOT_ALLOWED (403).
 */
export function createDownstreamTokenVerifier(options: { keys: JWTVerifyGetKey; issuer: string; audience: string; allowedActors: readonly string[] }) {
  return async function verifyCaller(token: string): Promise<DownstreamCaller> {
    const claims = await verifyDownstreamToken(token, options);
    if (!options.allowedActors.includes(claims.act.sub)) {
      throw new AuthError('ACTOR_NOT_ALLOWED', `${JSON.stringify(claims.act.sub)} may not call ${options.audience}`);
    }
    return { identity: { kind: 'user', id: claims.sub, scopes: claims.scopes }, actors: actorChain(claims.act) };
  };
}
