/**
 * Monaco (GraphiQL's editor) runs language services in web workers. They are
 * bundled next to main.js by build.ts and loaded from the gateway itself,
 * never from a CDN (GraphiQL's own setup-workers helpers assume a bundler or
 * esm.sh).
 */
const WORKER_FOR_LABEL: Record<string, string> = { json: 'json.worker.js', graphql: 'graphql.worker.js' };

export function setupMonacoWorkers(assetBase: URL): void {
  (globalThis as { MonacoEnvironment?: unknown }).MonacoEnvironment = {
    getWorker(_workerId: string, label: string) {
      return new Worker(new URL(WORKER_FOR_LABEL[label] ?? 'editor.worker.js', assetBase));
    },
  };
}
