/**
 * Prometheus metrics (prom-client) of one process, and its `GET /metrics`.
 *
 * Each process's service (shared/service/) makes its own Registry, never prom-client's
 * global one: several servers in one test process must not share counters.
 * Metric names are the same in every process (Prometheus tells processes
 * apart by job/instance); each process registers only the metrics it moves.
 * Label values come from closed sets (codes, directive kinds, subgraph names
 * from the subgraph list), never from request input.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { AuthErrorCode, SessionStoreObserver } from '@fedgw/subgraph-kit';
import type { PropagationObserver } from '../auth-modes/contract.js';
import { errorBody, type OAuthErrorCode, type PublicErrorCode } from '../errors.js';

const PREFIX = 'fedgw_';

/** How a GraphQL request ended: `refused` before execution (bad credential, store down). */
export type RequestOutcome = 'ok' | 'partial' | 'error' | 'refused';
/** `login`: POST /auth/login; `grant`: POST /auth/token; `token`/`session`: the credential of a GraphQL request. */
export type AuthMethod = 'login' | 'grant' | 'token' | 'session';
export type AuthResult = 'ok' | 'refused' | 'anonymous';

export interface CommonMetrics {
  registry: Registry;
  /** GraphQL requests by operation type and outcome. */
  request(operationType: string, outcome: RequestOutcome): void;
  /** One authentication decision. `code` is the code of a refusal (an AuthErrorCode, or RATE_LIMITED for a login). */
  authentication(method: AuthMethod, result: AuthResult, code?: PublicErrorCode | OAuthErrorCode): void;
  /** A field or type withheld from a caller, by the directive that denied it. */
  denial(directive: string): void;
  /** Session-store calls (session mode). */
  sessionStore: SessionStoreObserver;
}

/** Why a subgraph counted as unavailable for a fetch (gateway/subgraph-failure.ts). */
export type UnavailableReason = 'connection' | 'timeout' | 'status' | 'response';

export interface GatewayMetrics extends CommonMetrics, PropagationObserver {
  /** Starts timing one subgraph fetch; call the result with whether it failed. */
  subgraphFetch(subgraph: string): (failed: boolean) => void;
  /** A fetch of a client operation found `subgraph` unavailable. */
  subgraphUnavailable(subgraph: string, reason: UnavailableReason): void;
}

export interface SubgraphMetrics extends CommonMetrics {
  /** What one request's authentication did (shared/observability/auth-cost.ts counts). */
  verified(signatureChecks: number, cacheHits: number): void;
  verifyFailure(code: AuthErrorCode): void;
}

export interface MetricsOptions {
  /** Also export Node's process metrics (CPU, memory, event loop, GC): real processes only, their monitors run until exit. */
  processMetrics?: boolean;
}

/** Seconds; subgraph fetches and store calls on one host take about a millisecond. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

function common(registry: Registry, options: MetricsOptions): CommonMetrics {
  // Under their standard names (process_*, nodejs_*), which existing dashboards expect.
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const requests = new Counter({
    name: `${PREFIX}graphql_requests_total`,
    help: 'GraphQL requests by operation type (query, mutation, unknown) and outcome (ok, partial: data and errors, error: no data, refused: not executed for an authentication reason)',
    labelNames: ['operation_type', 'outcome'] as const,
    registers,
  });
  const authentications = new Counter({
    name: `${PREFIX}authentications_total`,
    help: 'Authentication decisions by method (login, grant: the token endpoint, token, session), result (ok, refused, anonymous) and code (the code of a refusal, "none" otherwise)',
    labelNames: ['method', 'result', 'code'] as const,
    registers,
  });
  const denials = new Counter({
    name: `${PREFIX}authorization_denials_total`,
    help: 'Fields withheld from a caller, by the directive that denied them (authenticated, requiresScopes, policy)',
    labelNames: ['directive'] as const,
    registers,
  });
  const storeReads = new Counter({ name: `${PREFIX}session_store_reads_total`, help: 'Session-store reads (get)', registers });
  const storeErrors = new Counter({
    name: `${PREFIX}session_store_errors_total`,
    help: 'Session-store calls that failed or timed out, by operation',
    labelNames: ['operation'] as const,
    registers,
  });
  const storeLatency = new Histogram({
    name: `${PREFIX}session_store_operation_duration_seconds`,
    help: 'Session-store call latency by operation (get, set, destroy, touch), failures included',
    labelNames: ['operation'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  return {
    registry,
    request: (operationType, outcome) => requests.labels(operationType, outcome).inc(),
    authentication: (method, result, code) => authentications.labels(method, result, code ?? 'none').inc(),
    denial: (directive) => denials.labels(directive).inc(),
    sessionStore: {
      observe(operation, seconds, failed) {
        if (operation === 'get') storeReads.inc();
        if (failed) storeErrors.labels(operation).inc();
        storeLatency.labels(operation).observe(seconds);
      },
    },
  };
}

export function createGatewayMetrics(options: MetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  const signed = new Counter({
    name: `${PREFIX}identity_tokens_signed_total`,
    help: 'Identity tokens the gateway signed (token mode), by audience subgraph',
    labelNames: ['subgraph'] as const,
    registers,
  });
  const cacheHits = new Counter({
    name: `${PREFIX}identity_token_cache_hits_total`,
    help: 'Subgraph fetches that reused a cached identity token instead of signing (token mode), by subgraph',
    labelNames: ['subgraph'] as const,
    registers,
  });
  const fetches = new Histogram({
    name: `${PREFIX}subgraph_fetch_duration_seconds`,
    help: 'Subgraph fetches of client operations as the gateway sees them (identity header, request, response body), by subgraph and result (ok, error)',
    labelNames: ['subgraph', 'result'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const unavailable = new Counter({
    name: `${PREFIX}subgraph_unavailable_total`,
    help: 'Subgraph fetches of client operations that got no GraphQL answer (SUBGRAPH_UNAVAILABLE), by subgraph and reason (connection, timeout, status: a 5xx, response: not a GraphQL answer)',
    labelNames: ['subgraph', 'reason'] as const,
    registers,
  });
  return {
    ...common(registry, options),
    subgraphUnavailable: (subgraph, reason) => unavailable.labels(subgraph, reason).inc(),
    tokenSigned: (subgraph) => signed.labels(subgraph).inc(),
    tokenCacheHit: (subgraph) => cacheHits.labels(subgraph).inc(),
    subgraphFetch(subgraph) {
      const started = process.hrtime.bigint();
      return (failed) => {
        fetches.labels(subgraph, failed ? 'error' : 'ok').observe(Number(process.hrtime.bigint() - started) / 1e9);
      };
    },
  };
}

export function createSubgraphMetrics(options: MetricsOptions = {}): SubgraphMetrics {
  const registry = new Registry();
  const registers = [registry];
  const verified = new Counter({
    name: `${PREFIX}identity_tokens_verified_total`,
    help: 'Identity-token signatures checked (token mode)',
    registers,
  });
  const verifyCacheHits = new Counter({
    name: `${PREFIX}identity_token_verify_cache_hits_total`,
    help: 'Identity tokens answered from the verified-token cache, without a signature check (token mode)',
    registers,
  });
  const verifyFailures = new Counter({
    name: `${PREFIX}identity_token_verify_failures_total`,
    help: 'Requests refused because their identity token was missing or not good (token mode), by AuthErrorCode',
    labelNames: ['code'] as const,
    registers,
  });
  return {
    ...common(registry, options),
    verified(signatureChecks, cacheHits) {
      if (signatureChecks > 0) verified.inc(signatureChecks);
      if (cacheHits > 0) verifyCacheHits.inc(cacheHits);
    },
    verifyFailure: (code) => verifyFailures.labels(code).inc(),
  };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * `GET /metrics` in Prometheus text format. With `token` (METRICS_TOKEN) set,
 * only `Authorization: Bearer <token>` gets an answer; anything else is a
 * 401 METRICS_TOKEN_REQUIRED, the same for a missing and a wrong token. The
 * comparison is of SHA-256 digests in constant time, so neither the length
 * nor a prefix of the token leaks through timing.
 */
export function metricsHandler(registry: Registry, token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : sha256(token);
  return async (req, res, next) => {
    try {
      if (expected) {
        const match = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '');
        if (!match || !timingSafeEqual(sha256(match[1]), expected)) {
          res
            .status(401)
            .set('WWW-Authenticate', 'Bearer realm="metrics"')
            .json(errorBody('METRICS_TOKEN_REQUIRED', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>'));
          return;
        }
      }
      res.set('Content-Type', registry.contentType).set('Cache-Control', 'no-store').send(await registry.metrics());
    } catch (error) {
      next(error);
    }
  };
}
