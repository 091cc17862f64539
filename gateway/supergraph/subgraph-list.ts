/**
 * The list of subgraphs the gateway composes (SUBGRAPHS_FILE): a JSON array
 * of `{ "name", "url" }`. Names become token audiences, so they are held to
 * SUBGRAPH_NAME_PATTERN.
 *
 * A subgraph that calls other services on the caller's behalf also says
 * which (`"downstream": ["payments"]`: the audiences it may exchange tokens
 * for, RFC 8693's may_act idea) and, optionally, where its own public keys
 * are (`"jwks"`; default `<origin of url>/.well-known/jwks.json`): the
 * gateway checks its token-exchange requests against them.
 *
 * A downstream service that calls further services is listed too, as
 * `"kind": "service"` with its own `downstream` (and `url`, `jwks` as
 * above): the same list says who may call whom at every hop. It is a client
 * of token exchange only — never composed, never sent identity tokens — so
 * the supergraph's readers take subgraphsOf(list).
 */
import fs from 'node:fs';
import { SUBGRAPH_NAME_PATTERN } from '@fedgw/subgraph-kit';

export interface SubgraphEntry {
  /** Absent in the file and here: a subgraph is the default kind. */
  kind?: 'subgraph';
  name: string;
  url: string;
  /** The services it may call on the caller's behalf (token exchange); none when absent. */
  downstream?: string[];
  /** Its public keys (JWKS URL), for its token-exchange requests; set whenever `downstream` is. */
  jwks?: string;
}

/** A downstream service that calls further services: a token-exchange client, not part of the supergraph. */
export interface ServiceEntry {
  kind: 'service';
  name: string;
  /** Its base URL, as its callers reach it (its keys are beside it by default). */
  url: string;
  downstream: string[];
  jwks: string;
}

/** One entry of the list: a subgraph, or a service listed for the calls it makes. */
export type ListEntry = SubgraphEntry | ServiceEntry;

/** The entries the gateway composes (and signs identity tokens for). */
export function subgraphsOf(entries: readonly ListEntry[]): SubgraphEntry[] {
  return entries.filter((entry): entry is SubgraphEntry => entry.kind !== 'service');
}

export class SubgraphListError extends Error {
  override name = 'SubgraphListError';
}

export function readSubgraphList(file: string): ListEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new SubgraphListError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseSubgraphList(text, file);
}

/** The list from the file's text (`file` names it in errors). */
export function parseSubgraphList(text: string, file: string): ListEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SubgraphListError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  return validateSubgraphList(parsed, file);
}

export function validateSubgraphList(parsed: unknown, source: string): ListEntry[] {
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new SubgraphListError(`${source} must be a non-empty JSON array of {"name", "url"}`);
  }
  const seen = new Set<string>();
  const entries = parsed.map((entry, index): ListEntry => {
    const where = `${source}[${index}]`;
    if (typeof entry !== 'object' || entry === null) throw new SubgraphListError(`${where} must be an object {"name", "url"}`);
    const { name, url, kind } = entry as Record<string, unknown>;
    if (typeof name !== 'string' || !SUBGRAPH_NAME_PATTERN.test(name)) {
      throw new SubgraphListError(`${where}.name must be lowercase letters, digits and "-", starting with a letter (got ${JSON.stringify(name)})`);
    }
    if (seen.has(name)) throw new SubgraphListError(`${where}.name "${name}" is listed twice`);
    seen.add(name);
    if (kind !== undefined && kind !== 'subgraph' && kind !== 'service') {
      throw new SubgraphListError(`${where}.kind must be "subgraph" (the default) or "service" (got ${JSON.stringify(kind)})`);
    }
    const parsedUrl = httpUrl(url, `${where}.url of "${name}"`);
    const calls = downstreamOf(entry as Record<string, unknown>, parsedUrl, where);
    if (kind !== 'service') return { name, url: parsedUrl.toString(), ...calls };
    // A service is listed only to say which services it calls: without that it has no business here.
    if (!calls.downstream) throw new SubgraphListError(`${where} is a service: it is listed only for the services it calls, so "downstream" is required`);
    return { kind, name, url: parsedUrl.toString(), downstream: calls.downstream, jwks: calls.jwks! };
  });
  if (subgraphsOf(entries).length === 0) throw new SubgraphListError(`${source} must list at least one subgraph (an entry without "kind": "service")`);
  return entries;
}

function httpUrl(value: unknown, what: string): URL {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new SubgraphListError(`${what} must be an http(s) URL (got ${JSON.stringify(value)})`);
  }
  // The list is logged and shown by /readyz; a secret in a URL would leak there.
  if (url.username || url.password) throw new SubgraphListError(`${what} must not contain a user name or password`);
  return url;
}

/** `downstream` (service names) and `jwks` (where its keys are), when the subgraph calls other services. */
function downstreamOf(entry: Record<string, unknown>, url: URL, where: string): Pick<SubgraphEntry, 'downstream' | 'jwks'> {
  const { downstream, jwks } = entry;
  if (downstream === undefined) {
    if (jwks !== undefined) throw new SubgraphListError(`${where}.jwks is only for a subgraph with "downstream" services`);
    return {};
  }
  if (!Array.isArray(downstream) || downstream.length === 0 || downstream.some((service) => typeof service !== 'string' || !SUBGRAPH_NAME_PATTERN.test(service))) {
    throw new SubgraphListError(`${where}.downstream must be a non-empty list of service names (lowercase letters, digits and "-"; got ${JSON.stringify(downstream)})`);
  }
  const keys = jwks === undefined ? new URL('/.well-known/jwks.json', url) : httpUrl(jwks, `${where}.jwks`);
  return { downstream: [...new Set(downstream as string[])], jwks: keys.toString() };
}
