/**
 * What a sign-in through the provider makes of its claims (the ID token's,
 * and the userinfo endpoint's): the identity is the provider's `sub`, its
 * scopes come from one claim (OIDC_SCOPES_CLAIM: a space-separated string
 * or a list, e.g. `scope`, `roles`, `groups`; a claim by that exact name,
 * else a dotted path into nested claims, such as Keycloak's
 * `realm_access.roles`), and the name shown is the provider's.
 */
import { userIdentity, type SignedInUser } from '@fedgw/subgraph-kit';

/** A scope the gateway passes on: printable, no spaces, bounded. */
const SCOPE = /^[\x21-\x7e]{1,128}$/;
const MAX_SCOPES = 100;

export function scopesFrom(value: unknown): string[] {
  const list = typeof value === 'string' ? value.split(/\s+/) : Array.isArray(value) ? value : [];
  return [...new Set(list.filter((scope): scope is string => typeof scope === 'string' && SCOPE.test(scope)))].slice(0, MAX_SCOPES);
}

export function signedInUser(claims: Record<string, unknown>, scopesClaim: string): SignedInUser {
  const sub = String(claims.sub);
  const username = [claims.preferred_username, claims.email, sub].find((value): value is string => typeof value === 'string' && value !== '')!;
  const name = typeof claims.name === 'string' && claims.name !== '' ? claims.name : username;
  return { identity: userIdentity(sub, scopesFrom(claimAt(claims, scopesClaim))), username, name };
}

/** The claim named `name`; failing that, the one at a dotted path (`realm_access.roles`). */
export function claimAt(claims: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  let value: unknown = claims;
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
