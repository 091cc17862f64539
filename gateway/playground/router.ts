/**
 * Serves the playground: GET /graphql from a browser (it prefers text/html)
 * gets the page, GET / redirects there, and the bundle built by build.ts is
 * served under /playground/. Every other /graphql request falls through to
 * Apollo Server untouched.
 */
import express, { Router, type Request } from 'express';
import type { AuthModeName } from '../../shared/auth-modes/index.js';
import { errorBody } from '../../shared/errors.js';
import { isPlaygroundBuilt, PLAYGROUND_DIST } from './assets.js';

export const PLAYGROUND_ASSET_PATH = '/playground';

export interface PlaygroundOptions {
  /** The gateway's auth mode; the page needs it to know how to carry the credential. */
  mode: AuthModeName;
  /** The OpenID Connect provider people may sign in through (its name, for the button), if one is configured. */
  providerName?: string;
  /** Where the built bundle is (tests may point elsewhere). */
  distDir?: string;
}

/**
 * Everything the page loads comes from this gateway: the policy makes the
 * browser refuse anything else, as a second line behind the bundle itself.
 * Monaco injects <style> elements, hence 'unsafe-inline' for styles only.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  // The login panel must not be framed by another site (clickjacking).
  "frame-ancestors 'none'",
].join('; ');

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

export function playgroundHtml(mode: string, providerName?: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="gateway-auth-mode" content="${escapeHtml(mode)}">${providerName ? `\n<meta name="gateway-sign-in-provider" content="${escapeHtml(providerName)}">` : ''}
<title>GraphQL playground</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${PLAYGROUND_ASSET_PATH}/main.css">
<script type="module" src="${PLAYGROUND_ASSET_PATH}/main.js"></script>
</head>
<body>
<div id="root"></div>
<noscript>The GraphQL playground needs JavaScript.</noscript>
</body>
</html>
`;
}

/** A browser navigating to /graphql asks for HTML first; GraphQL clients ask for JSON (or anything). */
function prefersHtml(req: Request): boolean {
  return req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';
}

export function playgroundRouter(options: PlaygroundOptions): Router {
  const distDir = options.distDir ?? PLAYGROUND_DIST;
  const html = playgroundHtml(options.mode, options.providerName);
  const router = Router();

  router.get('/', (_req, res) => {
    res.redirect(302, '/graphql');
  });

  router.get('/graphql', (req, res, next) => {
    if (!prefersHtml(req)) return next();
    res.vary('Accept');
    if (!isPlaygroundBuilt(distDir)) {
      res.status(503).json(errorBody('PLAYGROUND_NOT_BUILT', 'the playground bundle is missing: run `npm run build:playground`'));
      return;
    }
    res
      .set({
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        // The page carries the mode and nothing per-user, but it is tiny: never cache a stale one.
        'Cache-Control': 'no-store',
      })
      .send(html);
  });

  router.use(
    PLAYGROUND_ASSET_PATH,
    express.static(distDir, {
      index: false,
      // Stable file names: the browser revalidates with the ETag instead of trusting a stale copy.
      cacheControl: true,
      maxAge: 0,
      setHeaders: (res) => res.set('X-Content-Type-Options', 'nosniff'),
    }),
    (_req, res) => {
      res.status(404).json(errorBody('NOT_FOUND', 'no such playground asset'));
    },
  );

  return router;
}
