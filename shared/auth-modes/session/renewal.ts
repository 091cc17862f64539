/**
 * The rolling idle timeout, throttled. express-session with `rolling` would
 * write to the store at the end of every response (a `touch`); here the
 * store learns of activity at most once per renewal interval, and before
 * the request is served: a store that fails then is a 503 answered in
 * full, never an error raised after the response began. The cookie still
 * rolls on every response; the store's expiry is what ends a session, so a
 * session ends between (idle timeout − interval) and the idle timeout after
 * its last request (docs/security.md).
 */
import type { Request, RequestHandler } from 'express';
import type session from 'express-session';

/** A tenth of the idle timeout, at least a minute — but at most half of it, so a short idle timeout still renews. */
export function renewalIntervalMs(idleTimeoutSeconds: number): number {
  const idleMs = idleTimeoutSeconds * 1000;
  return Math.min(Math.max(idleMs / 10, 60_000), idleMs / 2);
}

/** The store as express-session sees it: without `touch`, so it writes at the end of a response only a session it changed. */
export function withoutTouch(store: session.Store): session.Store {
  const view = Object.create(store) as session.Store & { touch?: unknown };
  view.touch = undefined;
  return view;
}

const renewed = new WeakSet<Request>();

/** Whether this request wrote the session's new expiry to the store (its one store write). */
export function renewedSession(req: Request): boolean {
  return renewed.has(req);
}

/**
 * After express-session loaded the session: a signed-in session last
 * written more than `intervalMs` ago is saved with a new expiry now.
 */
export function renewSessions(idleTimeoutSeconds: number): RequestHandler {
  const idleMs = idleTimeoutSeconds * 1000;
  const intervalMs = renewalIntervalMs(idleTimeoutSeconds);
  return (req, _res, next) => {
    const sess = req.session;
    if (!sess?.auth || !due(sess.cookie.expires, idleMs, intervalMs)) return next();
    sess.touch();
    sess.save((error?: unknown) => {
      if (error) return next(error);
      renewed.add(req);
      next();
    });
  };
}

/** The stored expiry was written at (expiry − idle timeout); due once that is `intervalMs` old. */
function due(expires: Date | null | undefined, idleMs: number, intervalMs: number): boolean {
  if (!expires) return true;
  return Date.now() - (expires.getTime() - idleMs) >= intervalMs;
}
