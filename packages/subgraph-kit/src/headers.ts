/**
 * Request headers as every framework hands them over: Node's
 * IncomingHttpHeaders (lower-case keys), a fetch Headers object (graphql-yoga,
 * any WHATWG server), or a plain record with keys in any case.
 */
export type RequestHeaders =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/** One header's value: a string, undefined when absent, or a list when a server kept repeats apart. */
export function headerOf(headers: RequestHeaders, name: string): string | readonly string[] | undefined {
  const lower = name.toLowerCase();
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(lower) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  if (lower in record) return record[lower];
  for (const key of Object.keys(record)) if (key.toLowerCase() === lower) return record[key];
  return undefined;
}
