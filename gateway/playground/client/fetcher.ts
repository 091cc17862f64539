/**
 * GraphiQL's fetcher: every request goes to the gateway's own /graphql with
 * the playground's credential. A refused or vanished credential becomes the
 * panel's "logged out" state and a plain explanation in the result pane,
 * instead of a raw 401. Each answer's auth trace goes to the trace panel.
 */
import type { PlaygroundAuth } from './auth.js';
import type { TraceStore } from './trace.js';

interface FetcherParams {
  query: string;
  operationName?: string | null;
  variables?: unknown;
}

type Result = { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[]; extensions?: Record<string, unknown> };

function hasHeader(headers: Record<string, unknown> | undefined, name: string): boolean {
  return Object.keys(headers ?? {}).some((key) => key.toLowerCase() === name);
}

export function gatewayFetcher(auth: PlaygroundAuth, traces: TraceStore) {
  return async (params: FetcherParams, options?: { headers?: Record<string, unknown> }): Promise<Result> => {
    // Headers typed into GraphiQL's header editor win over the panel's credential.
    const userHeaders = Object.fromEntries(Object.entries(options?.headers ?? {}).map(([key, value]) => [key, String(value)]));
    const usedPanelCredential =
      auth.state.status === 'logged-in' && !(auth.mode === 'token' && hasHeader(userHeaders, 'authorization'));

    const response = await auth.post('/graphql', params, userHeaders);
    const body = (await response.json().catch(() => null)) as Result | null;
    traces.take(params.operationName, response.status, body);

    if (response.status === 401 && usedPanelCredential) {
      const code = body?.errors?.[0]?.extensions?.code;
      const notice = auth.credentialRejected(typeof code === 'string' ? code : undefined);
      return {
        errors: [
          {
            message: `${notice} Run the query again to send it anonymously.`,
            extensions: { code: typeof code === 'string' ? code : 'LOGGED_OUT' },
          },
        ],
      };
    }
    // Session mode: an ended session is simply anonymous to the gateway.
    const data = body?.data as { me?: unknown } | null | undefined;
    if (auth.mode === 'session' && usedPanelCredential && data && 'me' in data && data.me === null) {
      auth.credentialRejected('SESSION_ENDED');
    }
    return body ?? { errors: [{ message: `the gateway answered HTTP ${response.status} without a JSON body` }] };
  };
}
