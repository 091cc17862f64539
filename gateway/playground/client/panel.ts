/**
 * The login panel above GraphiQL: the gateway's auth mode, who is logged in
 * (with their scopes), a login form and a log-out button. Plain
 * createElement calls keep the project's TypeScript setup free of JSX.
 */
import { createElement as h, useEffect, useState, type FormEvent } from 'react';
import type { AuthState, PlaygroundAuth } from './auth.js';

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
      else
        setError({
          code: result.code,
          message: result.code === 'INVALID_CREDENTIALS' ? 'Wrong username or password.' : `Login failed (${result.code}).`,
        });
    } catch {
      setError({ code: 'UNREACHABLE', message: 'The gateway could not be reached.' });
    } finally {
      setBusy(false);
    }
  }

  async function onLogout() {
    setBusy(true);
    try {
      await auth.logout();
    } finally {
      setBusy(false);
    }
  }

  const mode = h(
    'span',
    { className: 'pg-mode', title: MODE_HINT[auth.mode] },
    'Auth mode: ',
    h('strong', { 'data-testid': 'auth-mode' }, auth.mode),
  );

  if (state.status === 'logged-in') {
    const { account } = state;
    const scopes = account.scopes === undefined ? 'unknown' : account.scopes.length > 0 ? account.scopes.join(' ') : 'none';
    return h(
      'header',
      { className: 'pg-panel', 'aria-label': 'Login' },
      mode,
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

  return h(
    'header',
    { className: 'pg-panel', 'aria-label': 'Login' },
    mode,
    h(
      'span',
      { className: 'pg-status', role: 'status', 'data-testid': 'auth-status', 'data-state': 'logged-out', 'data-reason': state.reason },
      h('strong', null, 'Logged out'),
      state.notice ? h('span', { className: 'pg-notice', 'data-testid': 'auth-notice' }, ` — ${state.notice}`) : ' — queries run anonymously',
    ),
    h(
      'form',
      { className: 'pg-login', onSubmit: onLogin },
      h('label', null, 'Username ', h('input', { name: 'username', autoComplete: 'username', required: true, value: username, onChange: (e: { target: HTMLInputElement }) => setUsername(e.target.value) })),
      h(
        'label',
        null,
        'Password ',
        h('input', { name: 'password', type: 'password', autoComplete: 'current-password', required: true, value: password, onChange: (e: { target: HTMLInputElement }) => setPassword(e.target.value) }),
      ),
      h('button', { type: 'submit', disabled: busy }, 'Log in'),
      error ? h('span', { className: 'pg-error', role: 'alert', 'data-testid': 'login-error', 'data-code': error.code }, error.message) : null,
    ),
  );
}
