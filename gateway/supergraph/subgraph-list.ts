/**
 * The list of subgraphs the gateway composes (SUBGRAPHS_FILE): a JSON array
 * of `{ "name", "url" }`. Names become token audiences, so they are held to
 * SUBGRAPH_NAME_PATTERN.
 */
import fs from 'node:fs';
import { SUBGRAPH_NAME_PATTERN } from '@fedgw/subgraph-kit';

export interface SubgraphEntry {
  name: string;
  url: string;
}

export class SubgraphListError extends Error {
  override name = 'SubgraphListError';
}

export function readSubgraphList(file: string): SubgraphEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new SubgraphListError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseSubgraphList(text, file);
}

/** The list from the file's text (`file` names it in errors). */
export function parseSubgraphList(text: string, file: string): SubgraphEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SubgraphListError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  return validateSubgraphList(parsed, file);
}

export function validateSubgraphList(parsed: unknown, source: string): SubgraphEntry[] {
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new SubgraphListError(`${source} must be a non-empty JSON array of {"name", "url"}`);
  }
  const seen = new Set<string>();
  return parsed.map((entry, index) => {
    const where = `${source}[${index}]`;
    if (typeof entry !== 'object' || entry === null) throw new SubgraphListError(`${where} must be an object {"name", "url"}`);
    const { name, url } = entry as Record<string, unknown>;
    if (typeof name !== 'string' || !SUBGRAPH_NAME_PATTERN.test(name)) {
      throw new SubgraphListError(`${where}.name must be lowercase letters, digits and "-", starting with a letter (got ${JSON.stringify(name)})`);
    }
    if (seen.has(name)) throw new SubgraphListError(`${where}.name "${name}" is listed twice`);
    seen.add(name);
    let parsedUrl: URL | undefined;
    try {
      parsedUrl = typeof url === 'string' ? new URL(url) : undefined;
    } catch {
      parsedUrl = undefined;
    }
    if (!parsedUrl || (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:')) {
      throw new SubgraphListError(`${where}.url of "${name}" must be an http(s) URL (got ${JSON.stringify(url)})`);
    }
    // The list is logged and shown by /readyz; a secret in a URL would leak there.
    if (parsedUrl.username || parsedUrl.password) {
      throw new SubgraphListError(`${where}.url of "${name}" must not contain a user name or password`);
    }
    return { name, url: parsedUrl.toString() };
  });
}
