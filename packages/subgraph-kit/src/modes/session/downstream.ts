/**
 * Session mode, a downstream service's end: the caller is whoever the
 * session named by X-Session-Id says, read from the shared store, read only
 * — as in a subgraph. The store cannot say which service forwarded the id,
 * so the actor chain is empty: anyone who holds a live session id can call.
 * A call it makes further forwards the same session id.
 */
import { AuthError } from '../../errors.js';
import type { DownstreamAuthenticator, DownstreamModeContext } from '../contract.js';
import { openSessionLookup } from './session-lookup.js';
import { isLive } from './session-record.js';
import { forwardSession, sessionId } from './subgraph.js';

export async function sessionDownstream({ config, storeObserver }: DownstreamModeContext): Promise<DownstreamAuthenticator> {
  const sessions = await openSessionLookup(config.store, { observer: storeObserver });
  return {
    async identify(headers, cost) {
      const sid = sessionId(headers);
      if (sid === undefined) throw new AuthError('AUTHENTICATION_REQUIRED', `${config.name} takes calls only on behalf of a signed-in caller (X-Session-Id)`);
      cost.storeReads++;
      const auth = (await sessions.get(sid))?.auth;
      if (!isLive(auth)) throw new AuthError('AUTHENTICATION_REQUIRED', 'the session is unknown, expired or ended');
      return { identity: auth.identity, actors: [] };
    },
    credentialsFor: forwardSession,
    readiness: () => sessions.ping(),
    close: () => sessions.close(),
  };
}
