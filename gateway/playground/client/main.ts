/**
 * The playground page: our login panel above GraphiQL, and beside it the
 * trace panel (how identity travelled for the last query). The gateway tells
 * the page its auth mode in a <meta> tag (the page never guesses it).
 */
import { GraphiQL } from 'graphiql';
import { createElement as h, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { PlaygroundAuth, type AuthModeName } from './auth.js';
import { gatewayFetcher } from './fetcher.js';
import { LoginPanel } from './panel.js';
import { TraceStore } from './trace.js';
import { TracePanel } from './trace-panel.js';
import { setupMonacoWorkers } from './workers.js';
import 'graphiql/style.css';
import './playground.css';

const DEFAULT_QUERY = `# Log in above (alice / wonderland or bob / builder), then run this query.
# "me" comes from the accounts subgraph, "orders" from the orders subgraph:
# both see who you are. The panel on the right shows how your identity got there.
{
  me {
    name
    orders {
      id
    }
  }
}
`;

function authMode(): AuthModeName {
  const value = document.querySelector<HTMLMetaElement>('meta[name="gateway-auth-mode"]')?.content;
  if (value === 'token' || value === 'session') return value;
  throw new Error(`the page has no valid gateway-auth-mode (got ${JSON.stringify(value)})`);
}

/** The identity provider the gateway signs people in through, if any (its name, for the button). */
function signInProvider(): string | undefined {
  return document.querySelector<HTMLMetaElement>('meta[name="gateway-sign-in-provider"]')?.content || undefined;
}

async function main() {
  // Workers live next to this script, wherever the gateway mounts the assets.
  setupMonacoWorkers(new URL('.', import.meta.url));
  const auth = new PlaygroundAuth(authMode(), signInProvider());
  const traces = new TraceStore();
  // Know who is logged in before GraphiQL sends its first (introspection) request.
  await auth.restore().catch(() => {});
  createRoot(document.getElementById('root')!).render(
    h(
      StrictMode,
      null,
      h(LoginPanel, { auth }),
      h(
        'div',
        { className: 'pg-main' },
        h(GraphiQL, { fetcher: gatewayFetcher(auth, traces), defaultQuery: DEFAULT_QUERY, defaultEditorToolsVisibility: false }),
        h(TracePanel, { store: traces }),
      ),
    ),
  );
}

main().catch((error: unknown) => {
  document.body.textContent = `The playground failed to start: ${String(error)}`;
});
