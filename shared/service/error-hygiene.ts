/**
 * What an error may tell a client. Used by the gateway and every subgraph.
 *
 * In production (`NODE_ENV=production`) a GraphQL error keeps its message
 * only when it carries a deliberate, public code — one a module chose for
 * clients (`TOKEN_INVALID`, `BAD_USER_INPUT`, `GRAPHQL_VALIDATION_FAILED`,
 * `QUERY_TOO_DEEP`, …). An `INTERNAL_SERVER_ERROR` (anything thrown that was
 * not a coded GraphQLError), a `DOWNSTREAM_SERVICE_ERROR` (a subgraph error
 * without a code) or an error without a well-formed code gets a generic
 * message instead, and the original goes to the log. Extensions other than
 * `code` are dropped: they can carry subgraph URLs, response bodies and
 * stack traces — except the few a code makes public (SUBGRAPH_UNAVAILABLE's
 * `subgraph`, a name, never a URL). Outside production errors pass unchanged
 * (stack traces are off everywhere).
 *
 * Outside GraphQL, unknown paths are a JSON 404 and known paths with the
 * wrong method a JSON 405 with `Allow`.
 */
import type { RequestHandler } from 'express';
import type { GraphQLFormattedError } from 'graphql';
import { SUBGRAPH_NAME_PATTERN } from '@fedgw/subgraph-kit';
import { errorBody, type PublicErrorCode } from '../errors.js';

export const GENERIC_ERROR_MESSAGE = 'Internal server error';

/** Codes whose messages are not written for clients. */
const MASKED_CODES = new Set<string>(['INTERNAL_SERVER_ERROR', 'DOWNSTREAM_SERVICE_ERROR'] satisfies PublicErrorCode[]);
/** Extensions a code makes public, besides `code` itself, and what their values must look like. */
const PUBLIC_EXTENSIONS: Partial<Record<PublicErrorCode, Record<string, RegExp>>> = {
  SUBGRAPH_UNAVAILABLE: { subgraph: SUBGRAPH_NAME_PATTERN },
};
/** What a deliberate code looks like; anything else is not trusted to be one. */
const CODE_PATTERN = /^[A-Z][A-Z0-9_]{1,63}$/;

export interface ErrorFormatterOptions {
  production: boolean;
  /** Where a masked error's original goes (it is the only place it can be seen). */
  log: (message: string) => void;
}

export function publicErrorFormatter({ production, log }: ErrorFormatterOptions) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    if (!production) return formatted;
    const raw = formatted.extensions?.code;
    const code = typeof raw === 'string' && CODE_PATTERN.test(raw) ? raw : undefined;
    const where = { ...(formatted.locations && { locations: formatted.locations }), ...(formatted.path && { path: formatted.path }) };
    if (code !== undefined && !MASKED_CODES.has(code)) {
      return { message: formatted.message, ...where, extensions: { code, ...publicExtensions(code, formatted.extensions) } };
    }
    log(`error masked for the client (${code ?? 'no code'}): ${describeError(error)}`);
    return { message: GENERIC_ERROR_MESSAGE, ...where, extensions: { code: code ?? 'INTERNAL_SERVER_ERROR' } };
  };
}

function publicExtensions(code: string, extensions: Record<string, unknown> | undefined): Record<string, string> {
  const allowed = PUBLIC_EXTENSIONS[code as PublicErrorCode] ?? {};
  const kept: Record<string, string> = {};
  for (const [name, pattern] of Object.entries(allowed)) {
    const value = extensions?.[name];
    if (typeof value === 'string' && pattern.test(value)) kept[name] = value;
  }
  return kept;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const original = (error as { originalError?: unknown }).originalError;
  const detail = error.stack ?? `${error.name}: ${error.message}`;
  return original instanceof Error && original !== error ? `${detail}\ncaused by: ${original.stack ?? original.message}` : detail;
}

/**
 * The last handler of an app: a JSON 405 (with `Allow`) for a known path
 * asked with another method, a JSON 404 for everything else.
 */
export function jsonFallback(allowedMethods: Record<string, string>): RequestHandler {
  return (req, res) => {
    const allow = Object.hasOwn(allowedMethods, req.path) ? allowedMethods[req.path] : undefined;
    if (allow !== undefined) {
      res.set('Allow', allow).status(405).json(errorBody('METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use ${allow}`));
    } else {
      res.status(404).json(errorBody('NOT_FOUND', 'no such endpoint'));
    }
  };
}
