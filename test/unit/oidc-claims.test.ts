/**
 * What a sign-in through the provider makes of its claims
 * (gateway/auth/oidc/claims.ts) and where it may return the browser
 * (return-to.ts): pure functions, no provider needed.
 */
import { describe, expect, it } from 'vitest';
import { claimAt, scopesFrom, signedInUser } from '../../gateway/auth/oidc/claims.js';
import { safeReturnTo } from '../../gateway/auth/oidc/return-to.js';
import { PublicError } from '../../shared/errors.js';

describe('signedInUser', () => {
  it('takes the identity from sub and the scopes from the configured claim, a string or a list', () => {
    expect(signedInUser({ sub: 'abc', scope: 'openid admin', name: 'Alice' }, 'scope')).toEqual({ identity: { kind: 'user', id: 'abc', scopes: ['openid', 'admin'] }, username: 'abc', name: 'Alice' });
    expect(signedInUser({ sub: 'abc', roles: ['admin', 'admin', 'ops'] }, 'roles').identity.scopes).toEqual(['admin', 'ops']);
    expect(signedInUser({ sub: 'abc' }, 'groups').identity.scopes).toEqual([]);
  });

  it('names the user by preferred_username, then email, then sub', () => {
    expect(signedInUser({ sub: 's', preferred_username: 'alice', email: 'a@example.com' }, 'scope')).toMatchObject({ username: 'alice', name: 'alice' });
    expect(signedInUser({ sub: 's', email: 'a@example.com', name: '' }, 'scope')).toMatchObject({ username: 'a@example.com', name: 'a@example.com' });
  });

  it('reads a nested claim by a dotted path, and a claim whose own name has dots by that name', () => {
    const keycloak = { sub: 's', realm_access: { roles: ['admin'] } };
    expect(signedInUser(keycloak, 'realm_access.roles').identity.scopes).toEqual(['admin']);
    expect(signedInUser({ sub: 's', 'https://example.com/roles': ['ops'] }, 'https://example.com/roles').identity.scopes).toEqual(['ops']);
    expect(claimAt(keycloak, 'realm_access.missing')).toBeUndefined();
    expect(claimAt({ a: ['x'] }, 'a.length')).toBeUndefined();
    expect(claimAt({ a: 'text' }, 'a.length')).toBeUndefined();
    expect(claimAt({}, '__proto__.polluted')).toBeUndefined();
  });
});

describe('scopesFrom', () => {
  it('keeps printable scopes without spaces, each once, at most 100', () => {
    expect(scopesFrom(['ok', 'with space', '', 'x'.repeat(129), 7, 'ok', 'tab\there'])).toEqual(['ok']);
    expect(scopesFrom(Array.from({ length: 150 }, (_, i) => `s${i}`))).toHaveLength(100);
    expect(scopesFrom({ admin: true })).toEqual([]);
  });
});

describe('safeReturnTo', () => {
  it('keeps a path on this gateway, with its query', () => {
    expect(safeReturnTo(undefined)).toBe('/graphql');
    expect(safeReturnTo('/graphql?query=%7B%20me%20%7D')).toBe('/graphql?query=%7B%20me%20%7D');
    expect(safeReturnTo('/a/../graphql')).toBe('/graphql');
  });

  it.each(['//evil.example', '/\\evil.example', 'https://evil.example/', 'graphql', '/\tevil', '/ok\\..\\x', ['/graphql']])('refuses %j: RETURN_TO_INVALID', (value) => {
    let refusal: unknown;
    try {
      safeReturnTo(value);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(PublicError);
    expect((refusal as PublicError).code).toBe('RETURN_TO_INVALID');
  });
});
