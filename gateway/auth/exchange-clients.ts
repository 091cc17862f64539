/**
 * The clients of token exchange: the subgraphs in SUBGRAPHS_FILE, and the
 * downstream services listed there for the further calls they make
 * (`"kind": "service"`), each with
 * the services it may call (`downstream`) and the keys its client
 * assertions are checked against (its `jwks`, fetched on first use, cached
 * and refetched on an unknown `kid` like any JWKS here). The file is read
 * again when it changes (its mtime and size, checked at each exchange —
 * exchanges are rare: one per identity token and hop); a list that does not
 * read keeps the last good one, as the supergraph does.
 */
import fs from 'node:fs';
import { remoteKeys } from '@fedgw/subgraph-kit/token';
import type { ExchangeClient, ExchangeClients } from '../../shared/auth-modes/contract.js';
import type { Logger } from '../../shared/observability/logger.js';
import { readSubgraphList, type ListEntry } from '../supergraph/subgraph-list.js';

/** After a fetch of a subgraph's keys, how long an unknown `kid` waits before it may trigger another. */
const KEYS_COOLDOWN_MS = 5000;

export function exchangeClients(file: string, logger: Logger): ExchangeClients {
  let version = '';
  let entries = new Map<string, ListEntry>();
  const keys = new Map<string, ExchangeClient['keys']>();
  const refresh = () => {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    const seen = stat ? `${stat.mtimeMs}:${stat.size}` : 'missing';
    if (seen === version) return;
    version = seen;
    try {
      entries = new Map(readSubgraphList(file).map((entry) => [entry.name, entry]));
    } catch (error) {
      logger.warn(`token exchange keeps the last good subgraph list: ${(error as Error).message}`);
    }
  };
  const keysAt = (url: string) => keys.get(url) ?? keys.set(url, remoteKeys(url, { cooldownMs: KEYS_COOLDOWN_MS })).get(url)!;
  return {
    find(name) {
      refresh();
      const entry = entries.get(name);
      if (!entry) return undefined;
      return { name, kind: entry.kind ?? 'subgraph', downstream: entry.downstream ?? [], keys: entry.jwks ? keysAt(entry.jwks) : noKeys };
    },
  };
}

/** A subgraph that calls nothing has no keys here: nothing it signs is accepted. */
const noKeys: ExchangeClient['keys'] = async () => {
  throw new Error('this subgraph has no downstream services, so no client keys');
};
