/**
 * The gateway's HTTP client for subgraph fetches: undici's `request` over one
 * keep-alive `Agent` (a connection pool per subgraph origin), instead of
 * Node's WHATWG `fetch`. Profiles of the heavy query put fetch's web-stream
 * machinery (ReadableStream setup, makeTransferable, cloneAsUint8Array,
 * parseJSONFromBytes) among the gateway's largest costs; `request` hands the
 * body over as a plain Node stream. Like fetch (undici underneath), it honours
 * a subgraph's `Keep-Alive: timeout` hint, so an idle connection is dropped
 * before the server closes it (apollographql/federation#2313).
 *
 * It answers the small part of the Fetch API that @apollo/gateway's data
 * source and gateway/subgraph-failure.ts use. The body is read whole before
 * the answer is handed over: every connection is released at once, whatever
 * the answer (a 5xx's body is never read by its caller), and a reset
 * mid-body fails the fetch like a failed connection.
 */
import { Agent, request } from 'undici';

export interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** What the data source reads of an answer. */
export interface SubgraphAnswer {
  ok: boolean;
  status: number;
  statusText: string;
  url: string;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
}

/** One pool of connections per subgraph origin, shared by every data source of the process. */
const agent = new Agent();

/**
 * Closes the process's subgraph connections once the drain is over (the
 * gateway process): at once, since a fetch still running then belongs to a
 * request the drain has already cut.
 */
export function closeSubgraphConnections(): Promise<void> {
  return agent.destroy();
}

type RawHeaders = Record<string, string | string[] | undefined>;

const headerReader = (raw: RawHeaders) => ({
  get(name: string): string | null {
    const value = raw[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  },
});

export async function subgraphFetch(url: string, init: FetchInit = {}): Promise<SubgraphAnswer> {
  const { statusCode, headers, body } = await request(url, {
    dispatcher: agent,
    method: (init.method ?? 'GET') as 'GET',
    headers: init.headers,
    body: init.body,
  });
  const text = await body.text();
  return {
    ok: statusCode >= 200 && statusCode < 300,
    status: statusCode,
    statusText: '',
    url,
    headers: headerReader(headers),
    text: async () => text,
    json: async () => JSON.parse(text) as unknown,
  };
}
