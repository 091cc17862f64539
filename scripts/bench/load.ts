/**
 * Closed-loop load with autocannon: a fixed number of connections, each
 * sending its next request as soon as the previous answer arrives. Latency
 * percentiles come from every response's own time (autocannon's histogram
 * keeps whole milliseconds only), requests/s from completed responses over
 * the measured wall time.
 */
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  durationSeconds: number;
  /** Stop after this many requests instead of after the duration (smoke runs: never an empty sample). */
  amount?: number;
  /** A cheap check of each response body; a failure counts as a mismatch. */
  verifyBody?: (body: string) => boolean;
  /** Counts something in each (checked) response body; the sum is `counted`. */
  count?: (body: string) => number;
}

export interface LoadResult {
  requests: number;
  elapsedMs: number;
  requestsPerSecond: number;
  /** ms */
  p50: number;
  /** ms */
  p99: number;
  errors: number;
  non2xx: number;
  mismatches: number;
  /** The sum of `count` over the responses (0 without it). */
  counted: number;
}

export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    let counted = 0;
    let started = performance.now();
    const verify = options.verifyBody || options.count
      ? (body: unknown) => {
          const text = String(body ?? '');
          if (options.count) counted += options.count(text);
          return options.verifyBody ? options.verifyBody(text) : true;
        }
      : undefined;
    const instance = autocannon(
      {
        url: options.url,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body: options.body,
        connections: options.connections,
        pipelining: 1,
        duration: options.durationSeconds,
        ...(options.amount ? { amount: options.amount } : {}),
        // autocannon checks its stop flag on every sample tick: short runs need short ticks.
        sampleInt: Math.min(1000, Math.max(50, (options.durationSeconds * 1000) / 10)),
        timeout: 10,
        ...(verify ? { verifyBody: verify } : {}),
      },
      (error, result) => {
        const elapsedMs = performance.now() - started;
        if (error) return reject(error);
        latencies.sort((a, b) => a - b);
        resolve({
          requests: latencies.length,
          elapsedMs,
          requestsPerSecond: (latencies.length / elapsedMs) * 1000,
          p50: percentile(latencies, 0.5),
          p99: percentile(latencies, 0.99),
          errors: result.errors,
          non2xx: result.non2xx,
          mismatches: result.mismatches,
          counted,
        });
      },
    );
    instance.on('start', () => {
      started = performance.now();
    });
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime);
    });
  });
}
