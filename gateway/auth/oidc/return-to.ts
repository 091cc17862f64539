/**
 * Where a sign-in returns the browser: a path on this gateway only, never
 * another site. `//evil.example` and `/\evil` are paths to an URL parser but
 * hosts to a browser, so anything that is not one clean absolute path is refused.
 */
import { PublicError } from '../../../shared/errors.js';

export const DEFAULT_RETURN_TO = '/graphql';

export function safeReturnTo(value: unknown): string {
  if (value === undefined || value === '') return DEFAULT_RETURN_TO;
  if (typeof value !== 'string' || value.length > 512) throw refused();
  // One leading slash, then no second slash or backslash at the start, no backslashes or control characters anywhere.
  if (!/^\/(?![/\\])/.test(value) || /[\\\u0000-\u001f\u007f]/.test(value)) throw refused();
  const base = new URL('http://gateway.invalid');
  const resolved = new URL(value, base);
  if (resolved.origin !== base.origin) throw refused();
  return resolved.pathname + resolved.search;
}

function refused(): PublicError {
  return new PublicError('RETURN_TO_INVALID', 'return_to must be a path on this gateway, such as /graphql');
}
