/**
 * `npm run subgraph:new -- <name> [--port N] [--type TypeName] [--root DIR] [--file FILE]`
 *
 * Creates subgraphs/<name>/ from scripts/templates/subgraph (schema with one
 * @key entity and one field that needs a logged-in caller, main.ts on this
 * repository's runSubgraph — its service skeleton over the subgraph kit —, a
 * test) and appends `{ name, url }` to the subgraph
 * list, which a running gateway watches and `npm start` launches from. Every
 * check runs before anything is written, so an error changes nothing; the
 * folder appears by one rename and the list is replaced by one rename.
 *
 * --root points at the project to change (default: this project), so tests
 * can scaffold into a temporary copy. --file is the list (default
 * <root>/subgraphs.json).
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { composeServices } from '@apollo/composition';
import { SUBGRAPH_NAME_PATTERN } from '@fedgw/subgraph-kit';
import type { SubgraphDefinition } from '../shared/subgraph-server.js';
import type { DownstreamServiceDefinition } from '../shared/downstream-service.js';
import { readSubgraphList, subgraphsOf, SubgraphListError, type ListEntry, type SubgraphEntry } from '../gateway/supergraph/subgraph-list.js';

const TEMPLATE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates', 'subgraph');
const DEFAULT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIRST_PORT = 4001;

export type ScaffoldErrorCode =
  | 'USAGE'
  | 'INVALID_NAME'
  | 'INVALID_PORT'
  /** A folder subgraphs/<name> exists, or the list has the name. */
  | 'NAME_TAKEN'
  /** Another entry of the list uses the port, or something listens on it. */
  | 'PORT_TAKEN'
  /** The subgraph list is unreadable or invalid: fix it first. */
  | 'LIST_INVALID'
  /** The generated schema clashes with a local subgraph's. */
  | 'WOULD_NOT_COMPOSE';

/** A refusal: printed as one line with its code, exit code 1, nothing written. */
export class ScaffoldError extends Error {
  override name = 'ScaffoldError';
  constructor(
    readonly code: ScaffoldErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ScaffoldOptions {
  name: string;
  port?: number;
  typeName?: string;
  root?: string;
  file?: string;
}

export interface ScaffoldResult {
  dir: string;
  files: string[];
  entry: SubgraphEntry;
  typeName: string;
  field: string;
}

const pascal = (name: string) => name.split('-').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('');
const camel = (name: string) => pascal(name).charAt(0).toLowerCase() + pascal(name).slice(1);
/** "widgets" → "Widget": a list-ish subgraph name, a singular type. */
const defaultTypeName = (name: string) => pascal(name).replace(/([^s])s$/, '$1');

function portOf(url: string): number | undefined {
  const parsed = new URL(url);
  const local = ['localhost', '127.0.0.1', '[::1]', '0.0.0.0'].includes(parsed.hostname);
  if (!local) return undefined;
  return Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

/** The list as JSON, one entry per line, like the file we ship. */
function formatList(entries: unknown[]): string {
  const line = (entry: unknown) =>
    entry !== null && typeof entry === 'object' && !Array.isArray(entry)
      ? `{ ${Object.entries(entry).map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`).join(', ')} }`
      : JSON.stringify(entry);
  return `[\n${entries.map((entry) => `  ${line(entry)}`).join(',\n')}\n]\n`;
}

function render(template: string, values: Record<string, string>): string {
  return template.replace(/__(NAME|PORT|Type|field|var)__/g, (_match, key: string) => values[key]);
}

async function definitionsIn(file: string): Promise<SubgraphDefinition[]> {
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  return Object.values(module).filter(
    (value): value is SubgraphDefinition => typeof value === 'object' && value !== null && 'typeDefs' in value && 'name' in value,
  );
}

/** The ports taken by the local downstream services (downstream/<name>/index.ts): they are not in the list, but `npm start` runs them on their default port. */
async function downstreamPortsIn(root: string): Promise<Map<number, string>> {
  const ports = new Map<number, string>();
  const dir = path.join(root, 'downstream');
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const index = path.join(dir, name, 'index.ts');
    if (!fs.existsSync(index)) continue;
    const module = (await import(pathToFileURL(index).href)) as Record<string, unknown>;
    for (const value of Object.values(module)) {
      const service = value as Partial<DownstreamServiceDefinition> | null;
      if (typeof service === 'object' && service !== null && typeof service.defaultPort === 'number' && Array.isArray(service.routes)) ports.set(service.defaultPort, `downstream service "${service.name}"`);
    }
  }
  return ports;
}

/**
 * The port for a new subgraph: the one asked for, if no entry, local
 * downstream service or listener has it; else the next after the listed
 * subgraphs' that none of those has.
 */
async function choosePort(asked: number | undefined, entries: ListEntry[], root: string, listFile: string): Promise<number> {
  const taken = await downstreamPortsIn(root);
  for (const entry of entries) {
    const port = portOf(entry.url);
    if (port !== undefined) taken.set(port, `${entry.kind ?? 'subgraph'} "${entry.name}" in ${listFile}`);
  }
  if (asked === undefined) {
    const listed = subgraphsOf(entries).map((entry) => portOf(entry.url)).filter((port): port is number => port !== undefined);
    let port = Math.max(FIRST_PORT - 1, ...listed) + 1;
    while (taken.has(port) || !(await portIsFree(port))) port++;
    return port;
  }
  if (!Number.isInteger(asked) || asked < 1 || asked > 65535) throw new ScaffoldError('INVALID_PORT', `--port must be a whole number from 1 to 65535 (got ${asked})`);
  const owner = taken.get(asked);
  if (owner) throw new ScaffoldError('PORT_TAKEN', `port ${asked} is taken by ${owner}`);
  if (!(await portIsFree(asked))) throw new ScaffoldError('PORT_TAKEN', `port ${asked} is taken: something on this machine is listening on it`);
  return asked;
}

export async function scaffoldSubgraph(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const root = path.resolve(options.root ?? DEFAULT_ROOT);
  const listFile = path.resolve(root, options.file ?? 'subgraphs.json');
  const { name } = options;

  if (!SUBGRAPH_NAME_PATTERN.test(name)) {
    throw new ScaffoldError('INVALID_NAME', 
      `invalid subgraph name ${JSON.stringify(name)}: use lowercase letters, digits and "-", starting with a letter, at most 40 characters (it becomes the token audience and the folder name)`,
    );
  }
  const typeName = options.typeName ?? defaultTypeName(name);
  if (!/^[A-Z][A-Za-z0-9]*$/.test(typeName)) {
    throw new ScaffoldError('INVALID_NAME', `invalid type name ${JSON.stringify(typeName)}: use PascalCase letters and digits`);
  }
  const subgraphsDir = path.join(root, 'subgraphs');
  const dir = path.join(subgraphsDir, name);
  if (fs.existsSync(dir)) throw new ScaffoldError('NAME_TAKEN', `subgraph "${name}" already exists (${dir})`);

  let entries: ListEntry[];
  let raw: unknown[];
  try {
    entries = readSubgraphList(listFile);
    raw = JSON.parse(fs.readFileSync(listFile, 'utf8')) as unknown[];
  } catch (error) {
    if (error instanceof SubgraphListError) throw new ScaffoldError('LIST_INVALID', `fix the subgraph list first: ${error.message}`);
    throw error;
  }
  if (entries.some((entry) => entry.name === name)) throw new ScaffoldError('NAME_TAKEN', `subgraph "${name}" is already listed in ${listFile}`);

  const port = await choosePort(options.port, entries, root, listFile);

  const values = { NAME: name, PORT: String(port), Type: typeName, field: camel(name), var: `${camel(name)}Subgraph` };
  const files: Record<string, string> = {
    'index.ts': render(fs.readFileSync(path.join(TEMPLATE_DIR, 'index.ts.tmpl'), 'utf8'), values),
    'main.ts': render(fs.readFileSync(path.join(TEMPLATE_DIR, 'main.ts.tmpl'), 'utf8'), values),
    [`${name}.test.ts`]: render(fs.readFileSync(path.join(TEMPLATE_DIR, 'test.ts.tmpl'), 'utf8'), values),
  };

  // Written next to its final place, so its relative imports resolve; hidden until renamed.
  const staging = fs.mkdtempSync(path.join(subgraphsDir, `.new-${name}-`));
  try {
    for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(staging, file), text);

    // Refuse a name whose types or fields clash with the local subgraphs: the
    // gateway would keep its old schema and report the clash, but better now.
    const [created] = await definitionsIn(path.join(staging, 'index.ts'));
    const others: SubgraphDefinition[] = [];
    for (const entry of subgraphsOf(entries)) {
      const index = path.join(subgraphsDir, entry.name, 'index.ts');
      if (fs.existsSync(index)) others.push(...(await definitionsIn(index)));
    }
    const composed = composeServices(
      [...others, created].map((definition) => ({ name: definition.name, url: 'http://localhost/graphql', typeDefs: definition.typeDefs })),
    );
    if (composed.errors) {
      const codes = [...new Set(composed.errors.map((error) => String(error.extensions?.code)))].join(', ');
      throw new ScaffoldError('WOULD_NOT_COMPOSE', 
        `the new subgraph would not compose with the local ones (${codes}): ${composed.errors[0].message}; pick another name (--type renames the entity type)`,
      );
    }

    fs.renameSync(staging, dir);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }

  const entry = { name, url: `http://localhost:${port}/graphql` };
  try {
    // Replace, don't rewrite in place: a watching gateway never reads half a file.
    const next = `${listFile}.${process.pid}.tmp`;
    fs.writeFileSync(next, formatList([...raw, entry]));
    fs.renameSync(next, listFile);
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, files: Object.keys(files).map((file) => path.join(dir, file)), entry, typeName, field: values.field };
}

function parseCommandLine(argv: string[]): ScaffoldOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        type: { type: 'string' },
        root: { type: 'string' },
        file: { type: 'string' },
      },
    });
  } catch (error) {
    throw new ScaffoldError('USAGE', (error as Error).message);
  }
  const { positionals, values } = parsed;
  if (positionals.length !== 1) {
    throw new ScaffoldError('USAGE', 'usage: npm run subgraph:new -- <name> [--port N] [--type TypeName] [--root DIR] [--file FILE]');
  }
  let port: number | undefined;
  if (values.port !== undefined) {
    if (!/^\d+$/.test(values.port)) throw new ScaffoldError('INVALID_PORT', `--port must be a whole number from 1 to 65535 (got ${JSON.stringify(values.port)})`);
    port = Number(values.port);
  }
  return { name: positionals[0], port, typeName: values.type, root: values.root, file: values.file };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const result = await scaffoldSubgraph(parseCommandLine(process.argv.slice(2)));
    const relative = (file: string) => path.relative(process.cwd(), file) || '.';
    console.log(`created ${relative(result.dir)}/ (${result.files.map((file) => path.basename(file)).join(', ')})`);
    console.log(`added { "name": "${result.entry.name}", "url": "${result.entry.url}" } to the subgraph list`);
    console.log(`next: \`npm start\` launches it with the others (or run it alone: npx tsx ${relative(path.join(result.dir, 'main.ts'))});`);
    console.log(`      a running gateway picks the list change up by itself. Try: { ${result.field} { id name seenBy } }`);
  } catch (error) {
    if (error instanceof ScaffoldError) {
      console.error(`subgraph:new: ${error.code}: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}
