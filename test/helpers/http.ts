/**
 * The tests' HTTP client: `send` for one request with any shape (its answer
 * with the stable error code read from either error shape), and `Client`, a
 * client of the gateway that holds whatever credential its mode uses — the
 * access token (token mode) or the session cookie (session mode).
 */

export interface Answer<Body = any> {
  status: number;
  headers: Headers;
  /** The parsed JSON body; undefined for an empty one (204). */
  body: Body;
  /** `error.code` (non-GraphQL errors) or the first `errors[].extensions.code` (GraphQL errors). */
  code: string | undefined;
}

/** One request; the answer must be JSON (or empty), or the test fails saying what came instead. */
export async function send<Body = any>(url: string, init: RequestInit = {}): Promise<Answer<Body>> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: any;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new Error(`expected a JSON answer, got ${response.status} ${response.headers.get('content-type')}: ${text.slice(0, 200)}`);
  }
  return { status: response.status, headers: response.headers, body, code: body?.error?.code ?? body?.errors?.[0]?.extensions?.code };
}

/** POST with a JSON body (an object, or a raw string/Buffer sent as is). */
export function postJson<Body = any>(url: string, body: unknown, headers: Record<string, string> = {}, init: RequestInit = {}): Promise<Answer<Body>> {
  return send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body),
    ...init,
  });
}

export interface GraphQLBody {
  data?: Record<string, any> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
  extensions?: Record<string, any>;
}

export type GraphQLResult = Answer<GraphQLBody>;

export class Client {
  token: string | undefined;
  cookie: string | undefined;

  constructor(readonly baseUrl: string) {}

  credentialHeaders(): Record<string, string> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (this.cookie) headers.cookie = this.cookie;
    return headers;
  }

  private keepCookie(headers: Headers) {
    for (const line of headers.getSetCookie()) {
      const pair = line.split(';')[0];
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      this.cookie = value === '' || /expires=Thu, 01 Jan 1970/i.test(line) ? undefined : `${name}=${value}`;
    }
  }

  async login(username: string, password: string): Promise<Answer<Record<string, any>>> {
    const answer = await postJson(`${this.baseUrl}/auth/login`, { username, password }, this.credentialHeaders());
    this.keepCookie(answer.headers);
    if (answer.status === 200 && typeof answer.body?.access_token === 'string') this.token = answer.body.access_token;
    return answer;
  }

  async logout(): Promise<Answer> {
    const answer = await send(`${this.baseUrl}/auth/logout`, { method: 'POST', headers: this.credentialHeaders() });
    this.keepCookie(answer.headers);
    this.token = undefined;
    return answer;
  }

  async query(query: string, options: { variables?: Record<string, unknown>; headers?: Record<string, string> } = {}): Promise<GraphQLResult> {
    const answer = await postJson<GraphQLBody>(`${this.baseUrl}/graphql`, { query, variables: options.variables }, { ...this.credentialHeaders(), ...options.headers });
    this.keepCookie(answer.headers);
    return answer;
  }
}
