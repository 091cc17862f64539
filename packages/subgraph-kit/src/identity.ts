/**
 * Who is calling, as every subgraph resolver sees it (`context.identity`),
 * whatever carried it (identity token or session). `null` means anonymous.
 */
export interface Identity {
  /** `user` for a person who logged in; `gateway` for the gateway's own calls (schema loading). */
  kind: 'user' | 'gateway';
  /** User id (`u1`), or the gateway's issuer id for kind `gateway`. */
  id: string;
  scopes: string[];
}

export function userIdentity(id: string, scopes: readonly string[]): Identity {
  return { kind: 'user', id, scopes: [...scopes] };
}

export function hasScope(identity: Identity | null, scope: string): boolean {
  return identity?.scopes.includes(scope) ?? false;
}

/** Scopes travel as one space-separated string (RFC 8693 `scope`). */
export function parseScopes(scope: unknown): string[] {
  if (typeof scope !== 'string' || scope.trim() === '') return [];
  return scope.trim().split(/\s+/);
}

/** A person who has just proven who they are (a password today): what signing in records. */
export interface SignedInUser {
  identity: Identity;
  username: string;
  name: string;
}
