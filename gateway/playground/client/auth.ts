/**
 * The playground's login state, in the browser. One object knows how the
 * gateway's auth mode carries a credential: token mode keeps the access token
 * and its refresh token (sessionStorage, so they die with the tab), sends the
 * access token as a Bearer header, and renews it by itself shortly before it
 * expires; session mode keeps nothing but relies on the same-origin session
 * cookie.
 * Everything else (the panel, the GraphiQL fetcher) asks this object.
 */

export type AuthModeName = 'token' | 'session';

export interface Account {
  username: string;
  id?: string;
  name?: string;
  scopes?: string[];
}

export type AuthState =
  | { status: 'logged-in'; account: Account }
  /** `reason` (a stable code) and `notice`: why, when the user did not ask to log out. */
  | { status: 'logged-out'; reason?: string; notice?: string };

export type LoginResult = { ok: true } | { ok: false; code: string; message: string };

interface StoredCredential {
  account: Account;
  /** Token mode only. */
  token?: string;
  /** Token mode: epoch ms at which the access token expires. */
  expiresAt?: number;
  /** Token mode: what renews the access token (POST /auth/token). */
  refreshToken?: string;
}

const STORAGE_KEY = 'gateway-playground:credential';
const WHO_AM_I = 'query PlaygroundWhoAmI { me { id username name } }';

export const LOGGED_OUT_NOTICE: Record<string, string> = {
  TOKEN_EXPIRED: 'Your access token expired, so you are logged out. Log in again.',
  TOKEN_INVALID: 'The gateway no longer accepts your access token, so you are logged out. Log in again.',
  TOKEN_REVOKED: 'Your access token was revoked (you logged out elsewhere), so you are logged out. Log in again.',
  SIGN_IN_ENDED: 'Your sign-in ended (it was revoked, or reached its time limit), so you are logged out. Log in again.',
  SESSION_ENDED: 'Your session ended (it timed out or was logged out elsewhere), so you are logged out. Log in again.',
};

function errorCode(body: unknown): string | undefined {
  const value = body as { error?: { code?: unknown }; errors?: { extensions?: { code?: unknown } }[] } | null;
  const code = value?.error?.code ?? value?.errors?.[0]?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}

function parseScopes(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return value.filter((scope): scope is string => typeof scope === 'string');
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  return undefined;
}

export class PlaygroundAuth {
  private current: AuthState = { status: 'logged-out' };
  private credential: StoredCredential | undefined;
  private listeners = new Set<(state: AuthState) => void>();
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly mode: AuthModeName,
    /** The identity provider's name, when the gateway signs people in through one. */
    readonly provider?: string,
    private readonly storage: Storage = window.sessionStorage,
  ) {}

  /** Off to the provider's own sign-in page; the gateway brings the browser back here, signed in. */
  signInWithProvider(): void {
    window.location.assign(`/auth/oidc/login?return_to=${encodeURIComponent(window.location.pathname)}`);
  }

  get state(): AuthState {
    return this.current;
  }

  subscribe(listener: (state: AuthState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** What to add to a GraphQL request so the gateway sees the logged-in user. */
  credentialHeaders(): Record<string, string> {
    return this.mode === 'token' && this.credential?.token ? { authorization: `Bearer ${this.credential.token}` } : {};
  }

  /**
   * POST JSON to the gateway with the caller's credential: the Bearer header
   * in token mode, the session cookie (same origin only) in session mode.
   */
  async post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json;q=0.9',
        ...this.credentialHeaders(),
        ...headers,
      },
      body: JSON.stringify(body),
    });
  }

  /** On page load: pick up a credential kept from before a reload, and check the gateway still takes it. */
  async restore(): Promise<void> {
    const stored = this.read();
    if (this.mode === 'token') {
      // Back from the provider: the gateway left a one-time ticket (an HttpOnly cookie) to exchange for the tokens.
      if (!stored?.token && this.provider && (await this.redeemTicket())) return;
      if (!stored?.token) return;
      if (stored.expiresAt !== undefined && stored.expiresAt <= Date.now()) {
        if (stored.refreshToken) await this.refresh(stored);
        else this.loggedOut('TOKEN_EXPIRED');
        return;
      }
      this.credential = stored;
    }
    // Session mode: the cookie is the credential (it may come from another tab); ask whose it is.
    const answer = await this.whoAmI(stored?.account);
    if ('account' in answer) this.loggedIn({ ...stored, account: answer.account });
    else if (stored) this.loggedOut(answer.code);
  }

  /** POST /auth/oidc/ticket: the tokens of a sign-in through the provider, once; false when there is no ticket. */
  private async redeemTicket(): Promise<boolean> {
    const response = await fetch('/auth/oidc/ticket', { method: 'POST', credentials: 'same-origin' });
    const body = (await response.json().catch(() => null)) as Record<string, any> | null;
    if (response.status !== 200 || typeof body?.access_token !== 'string') return false;
    const credential = this.tokenCredential(body, '');
    this.credential = credential;
    const answer = await this.whoAmI(credential.account);
    if (!('account' in answer)) return false;
    this.loggedIn({ ...credential, account: answer.account });
    return true;
  }

  /** A token response (login, refresh, ticket) as what this tab keeps. */
  private tokenCredential(body: Record<string, any>, username: string): StoredCredential {
    return {
      account: { username, scopes: parseScopes(body.scope) },
      token: String(body.access_token),
      expiresAt: Date.now() + Number(body.expires_in) * 1000,
      ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
    };
  }

  async login(username: string, password: string): Promise<LoginResult> {
    this.forget();
    const response = await this.post('/auth/login', { username, password });
    const body = (await response.json().catch(() => null)) as Record<string, any> | null;
    if (response.status !== 200 || body === null) {
      return {
        ok: false,
        code: errorCode(body) ?? `HTTP_${response.status}`,
        message: body?.error?.message ?? `the gateway answered HTTP ${response.status}`,
      };
    }
    const credential: StoredCredential =
      this.mode === 'token'
        ? this.tokenCredential(body, username)
        : {
            account: {
              username: typeof body.user?.username === 'string' ? body.user.username : username,
              id: typeof body.user?.id === 'string' ? body.user.id : undefined,
              scopes: parseScopes(body.user?.scopes ?? body.user?.scope),
            },
          };
    this.credential = credential;
    // Ask the graph who we are: proves the credential works end to end and gives the display name.
    const answer = await this.whoAmI(credential.account);
    if (!('account' in answer)) {
      this.loggedOut(answer.code);
      return { ok: false, code: answer.code, message: 'logged in, but the gateway did not accept the credential' };
    }
    this.loggedIn({ ...credential, account: answer.account });
    return { ok: true };
  }

  async logout(): Promise<void> {
    let endSessionUrl: string | undefined;
    try {
      const response = await this.post('/auth/logout', {});
      const body = response.status === 200 ? ((await response.json().catch(() => null)) as { end_session_url?: unknown } | null) : (await response.body?.cancel(), null);
      if (typeof body?.end_session_url === 'string') endSessionUrl = body.end_session_url;
    } finally {
      // Whatever the gateway said, this tab stops using the credential.
      this.forget();
      this.set({ status: 'logged-out' });
    }
    // Signed in through the provider: end the session there too (it sends the browser back here).
    if (endSessionUrl) window.location.assign(endSessionUrl);
  }

  /**
   * The gateway refused the credential (a 401 on /graphql) or, in session
   * mode, stopped recognising it (`me` came back null): show "logged out".
   * Returns the explanation shown to the user.
   */
  credentialRejected(code?: string): string {
    const known = code && LOGGED_OUT_NOTICE[code] ? code : this.endedCode();
    if (this.current.status === 'logged-in') this.loggedOut(known);
    return LOGGED_OUT_NOTICE[known];
  }

  private endedCode(): string {
    return this.mode === 'token' ? 'TOKEN_INVALID' : 'SESSION_ENDED';
  }

  private async whoAmI(known?: Account): Promise<{ account: Account } | { code: string }> {
    const response = await this.post('/graphql', { query: WHO_AM_I, operationName: 'PlaygroundWhoAmI' });
    const body = (await response.json().catch(() => null)) as { data?: { me?: { id: string; username: string; name: string } | null } } | null;
    const me = response.ok ? body?.data?.me : undefined;
    if (!me) {
      const code = errorCode(body);
      return { code: code && LOGGED_OUT_NOTICE[code] ? code : this.endedCode() };
    }
    return {
      account: {
        username: me.username,
        id: me.id,
        name: me.name,
        // Scopes come from the login answer; keep them only for the same user.
        scopes: known && (known.id === undefined || known.id === me.id) ? known.scopes : undefined,
      },
    };
  }

  private loggedIn(credential: StoredCredential): void {
    this.credential = credential;
    this.storage.setItem(STORAGE_KEY, JSON.stringify(credential));
    this.schedule(credential);
    this.set({ status: 'logged-in', account: credential.account });
  }

  /**
   * Renews the access token before it expires (a fifth of its lifetime
   * before, at most 30 s), or — without a refresh token — flips to "logged
   * out" when it expires, instead of waiting for a 401.
   */
  private schedule(credential: StoredCredential): void {
    clearTimeout(this.expiryTimer);
    if (credential.expiresAt === undefined) return;
    const left = credential.expiresAt - Date.now();
    const delay = credential.refreshToken ? left - Math.min(30_000, left / 5) : left;
    const action = credential.refreshToken ? () => void this.refresh(credential) : () => this.credentialRejected('TOKEN_EXPIRED');
    this.expiryTimer = setTimeout(action, Math.min(Math.max(delay, 0), 2 ** 31 - 1));
  }

  /** POST /auth/token with the refresh token: a new access token and a new refresh token, or "logged out". */
  private async refresh(credential: StoredCredential): Promise<void> {
    const response = await fetch('/auth/token', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credential.refreshToken ?? '' }),
    }).catch(() => undefined);
    const body = (await response?.json().catch(() => null)) as Record<string, unknown> | null | undefined;
    if (!response?.ok || typeof body?.access_token !== 'string') {
      this.loggedOut(body?.error === 'invalid_grant' ? 'SIGN_IN_ENDED' : 'TOKEN_EXPIRED');
      return;
    }
    this.loggedIn({
      account: { ...credential.account, scopes: parseScopes(body.scope) ?? credential.account.scopes },
      token: body.access_token,
      expiresAt: Date.now() + Number(body.expires_in) * 1000,
      refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : undefined,
    });
  }

  private loggedOut(code?: string): void {
    this.forget();
    this.set({ status: 'logged-out', reason: code, notice: code ? LOGGED_OUT_NOTICE[code] : undefined });
  }

  private forget(): void {
    clearTimeout(this.expiryTimer);
    this.credential = undefined;
    this.storage.removeItem(STORAGE_KEY);
  }

  private read(): StoredCredential | undefined {
    try {
      const value = JSON.parse(this.storage.getItem(STORAGE_KEY) ?? 'null') as StoredCredential | null;
      return value && typeof value.account?.username === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  }

  private set(state: AuthState): void {
    this.current = state;
    for (const listener of this.listeners) listener(state);
  }
}
