/**
 * Session mode, a subgraph's end: the caller is whoever the session named by
 * X-Session-Id says, read from the shared store — read only: a subgraph
 * never writes or touches a session. A call on the caller's behalf to a
 * downstream service carries the same session id, and that service reads
 * the same store.
 */
import { headerOf, type RequestHeaders } from '../../headers.js';
import type { SubgraphAuthenticator, SubgraphModeContext } from '../contract.js';
import { openSessionLookup } from './session-lookup.js';
import { isLive, SESSION_ID_HEADER, SESSION_ID_PATTERN } from './session-record.js';

export async function sessionSubgraph({ config, storeObserver }: SubgraphModeContext): Promise<SubgraphAuthenticator> {
  const sessions = await openSessionLookup(config.store, { observer: storeObserver });
  return {
    async identify(headers, cost) {
      const sid = sessionId(headers);
      if (sid === undefined) return null;
      cost.storeReads++;
      const auth = (await sessions.get(sid))?.auth;
      // Unknown, expired, destroyed, or past its absolute lifetime: anonymous.
      return isLive(auth) ? auth.identity : null;
    },
    credentialsFor: forwardSession,
    readiness: () => sessions.ping(),
    close: () => sessions.close(),
  };
}

export function sessionId(headers: RequestHeaders): string | undefined {
  const sid = headerOf(headers, SESSION_ID_HEADER);
  return typeof sid === 'string' && SESSION_ID_PATTERN.test(sid) ? sid : undefined;
}

/** What carries the caller on to a downstream service, from a subgraph or a hop further: the same session id (no exchange). */
export async function forwardSession(headers: RequestHeaders): Promise<Record<string, string>> {
  const sid = sessionId(headers);
  return sid === undefined ? {} : { [SESSION_ID_HEADER]: sid };
}
