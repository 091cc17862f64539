/**
 * Reading settings: the readers every configuration uses (this kit's, and
 * the gateway's in its own repository) and the ConfigError they throw, which
 * names the setting, says what it accepts and what it got. An entry point
 * turns that error into one line and a non-zero exit.
 */

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    accepts: string,
    got: string | undefined,
  ) {
    super(`${variable} must be ${accepts}${got === undefined ? ' (it is not set)' : ` (got ${JSON.stringify(got)})`}`);
    this.name = 'ConfigError';
  }
}

/** The trimmed value, or undefined when unset or blank. */
export function optional(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `a whole number from ${min} to ${max}`, raw);
  }
  return value;
}

export function httpUrl(env: Env, name: string, fallback: string): string {
  const raw = optional(env, name) ?? fallback;
  try {
    const url = new URL(raw);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.toString();
  } catch {
    // fall through to the error below
  }
  throw new ConfigError(name, 'an http:// or https:// URL', raw);
}

/** `true`/`false`, or `fallback` when unset. */
export function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new ConfigError(name, '"true" or "false"', raw);
}

/** One of `choices`, or `fallback` when unset. */
export function oneOf<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = optional(env, name) ?? fallback;
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(name, choices.map((choice) => `"${choice}"`).join(' or '), raw);
}
