/**
 * Which signing key does what at a given time, from the times in the key
 * files' names alone (signing-keys.ts): pure, so every replica that sees the
 * same files reaches the same answer.
 */

export interface KeyTimes {
  /** ms since the epoch. */
  createdAt: number;
  /** ms since the epoch; absent for a key in use. */
  retiredAt?: number;
}

export interface KeyPolicy {
  /** A new key is published this long before it signs. */
  activationDelayMs: number;
  /** A retired key stays published this long. */
  retiredPublishedMs: number;
}

export interface KeyStates<K> {
  signer: K;
  published: K[];
  /** ms since the epoch when the answer next changes (a key activates or stops being published); Infinity if never. */
  nextChange: number;
}

/** "2026-12-01T20-03-14-000Z" → ms, or undefined. */
function parseTime(text: string): number | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z$/.exec(text);
  if (!match) return undefined;
  const ms = Date.parse(`${match[1]}T${match[2]}:${match[3]}:${match[4]}.${match[5]}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The times a key file's name gives; `mtimeMs` when the name has no creation time. */
export function parseKeyFileName(file: string, mtimeMs: number): KeyTimes {
  const created = /^ed25519-([^.]+)/.exec(file)?.[1];
  const retired = /\.retired-([^.]+)\.pem$/.exec(file)?.[1];
  const createdAt = (created && parseTime(created)) || mtimeMs;
  const retiredAt = retired ? parseTime(retired) : undefined;
  return retiredAt === undefined ? { createdAt } : { createdAt, retiredAt };
}

const newestFirst = <K extends KeyTimes & { kid: string }>(a: K, b: K) => b.createdAt - a.createdAt || a.kid.localeCompare(b.kid);

export function keyStates<K extends KeyTimes & { kid: string }>(keys: readonly K[], now: number, policy: KeyPolicy): KeyStates<K> {
  const inUse = keys.filter((key) => key.retiredAt === undefined).sort(newestFirst);
  const published = keys.filter((key) => key.retiredAt === undefined || now < key.retiredAt + policy.retiredPublishedMs);
  const active = inUse.filter((key) => key.createdAt + policy.activationDelayMs <= now);
  // None active yet (a fresh folder): the oldest key in use. None in use at all: the newest retired.
  const signer = active[0] ?? inUse[inUse.length - 1] ?? [...keys].sort(newestFirst)[0];
  const changes = [
    ...inUse.map((key) => key.createdAt + policy.activationDelayMs),
    ...keys.flatMap((key) => (key.retiredAt === undefined ? [] : [key.retiredAt + policy.retiredPublishedMs])),
  ].filter((time) => time > now);
  return { signer, published, nextChange: changes.length ? Math.min(...changes) : Infinity };
}
