/**
 * The login panel above GraphiQL: the gateway's auth mode, who is logged in
 * (with their scopes), a login form and a log-out button. Plain
 * createElement calls keep the project's TypeScript setup free of JSX.
 */
import { createElement as h, Fragment, useEffect, useState, type FormEvent } from 'react';
import type { AuthState, PlaygroundAuth } from './auth.js';

type Account = Extract<AuthState, { status: 'logged-in' }>['account'];

function useAuthState(auth: PlaygroundAuth): AuthState {
  const [state, setState] = useState(auth.state);
  useEffect(() => auth.subscribe(setState), [auth]);
  return state;
}

const MODE_HINT = {
  token: 'the panel keeps an access token and sends it as Authorization: Bearer',
  session: 'the panel relies on the session cookie',
} as const;

export function LoginPanel({ auth }: { auth: PlaygroundAuth }) {
  const state = useAuthState(auth);
  const mode = h(
    'span',
    { className: 'pg-mode', title: MODE_HINT[auth.mode] },
    'Auth mode: ',
    h('strong', { 'data-testid': 'auth-mode' }, auth.mode),
  );
  const body =
    state.status === 'logged-in'
      ? [h(LoggedIn, { key: 'in', auth, account: state.account })]
      : [
          h(
            'span',
            { key: 'status', className: 'pg-status', role: 'status', 'data-testid': 'auth-status', 'data-state': 'logged-out', 'data-reason': state.reason },
            h('strong', null, 'Logged out'),
            state.notice ? h('span', { className: 'pg-notice', 'data-testid': 'auth-notice' }, ` — ${state.notice}`) : ' — queries run anonymously',
          ),
          ...(auth.provider
            ? [h('button', { key: 'provider', type: 'button', className: 'pg-provider', 'data-testid': 'sign-in-provider', onClick: () => auth.signInWithProvider() }, `Sign in with ${auth.provider}`)]
            : []),
          h(LoginForm, { key: 'form', auth }),
        ];
  return h('header', { className: 'pg-panel', 'aria-label': 'Login' }, mode, ...body);
}

function LoggedIn({ auth, account }: { auth: PlaygroundAuth; account: Account }) {
  const [busy, setBusy] = useState(false);
  async function onLogout() {
    setBusy(true);
    try {
      await auth.logout();
    } finally {
      setBusy(false);
    }
  }
  const scopes = account.scopes === undefined ? 'unknown' : account.scopes.length > 0 ? account.scopes.join(' ') : 'none';
  return h(
    Fragment,
    null,
    h(
      'span',
      { className: 'pg-status', role: 'status', 'data-testid': 'auth-status', 'data-state': 'logged-in' },
      'Logged in as ',
      h('strong', { 'data-testid': 'auth-user' }, account.username),
      account.name ? ` (${account.name}${account.id ? `, ${account.id}` : ''})` : '',
      ' · scopes: ',
      h('span', { 'data-testid': 'auth-scopes' }, scopes),
    ),
    h('button', { type: 'button', onClick: onLogout, disabled: busy }, 'Log out'),
  );
}

function LoginForm({ auth }: { auth: PlaygroundAuth }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ code: string; message: string } | undefined>();

  async function onLogin(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const result = await auth.login(username, password);
      if (result.ok) setPassword('');
      else setError({ code: result.code, message: result.code === 'INVALID_CREDENTIALS' ? 'Wrong username or password.' : `Login failed (${result.code}).` });
    } catch {
      setError({ code: 'UNREACHABLE', message: 'The gateway could not be reached.' });
    } finally {
      setBusy(false);
    }
  }

  const field = (name: string, label: string, value: string, set: (value: string) => void, extra: Record<string, unknown>) =>
    h('label', null, `${label} `, h('input', { name, required: true, value, onChange: (e: { target: HTMLInputElement }) => set(e.target.value), ...extra }));
  return h(
    'form',
    { className: 'pg-login', onSubmit: onLogin },
    field('username', 'Username', username, setUsername, { autoComplete: 'username' }),
    field('password', 'Password', password, setPassword, { type: 'password', autoComplete: 'current-password' }),
    h('button', { type: 'submit', disabled: busy }, 'Log in'),
    error ? h('span', { className: 'pg-error', role: 'alert', 'data-testid': 'login-error', 'data-code': error.code }, error.message) : null,
  );
}
