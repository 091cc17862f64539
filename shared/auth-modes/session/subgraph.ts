/**
 * Session mode, a subgraph's end: the caller is whoever the session named by
 * X-Session-Id says, read from the shared store — read only: a subgraph
 * never writes or touches a session.
 */
import { isLive, SESSION_ID_HEADER, SESSION_ID_PATTERN } from '@fedgw/subgraph-kit/session';
import type { SubgraphAuthenticator, SubgraphModeContext } from '../contract.js';
import { openStore } from '../../store/index.js';

export async function sessionSubgraph({ config, storeObserver }: SubgraphModeContext): Promise<SubgraphAuthenticator> {
  const store = await openStore(config.store, { observer: storeObserver });
  return {
    async identify(req, cost) {
      const sid = req.headers[SESSION_ID_HEADER];
      if (typeof sid !== 'string' || !SESSION_ID_PATTERN.test(sid)) return null;
      cost.storeReads++;
      const auth = (await store.getSession(sid))?.auth;
      // Unknown, expired, destroyed, or past its absolute lifetime: anonymous.
      return isLive(auth) ? auth.identity : null;
    },
    readiness: () => store.ping(),
    close: () => store.close(),
  };
}
