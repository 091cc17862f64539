import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Node loads `graphql` as CommonJS (its package "main"), and so do Apollo's
  // packages; vite would pick the ESM build ("module") for our own sources.
  // Two copies break graphql-js's instanceof checks on schemas Apollo builds.
  resolve: { alias: [{ find: /^graphql$/, replacement: fileURLToPath(new URL('node_modules/graphql/index.js', import.meta.url)) }] },
  test: {
    include: ['test/**/*.test.ts', 'subgraphs/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file starts its own servers on free ports; two cores, two workers.
    maxWorkers: 2,
    pool: 'forks',
  },
});
