import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'subgraphs/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file starts its own servers on free ports; two cores, two workers.
    maxWorkers: 2,
    pool: 'forks',
  },
});
