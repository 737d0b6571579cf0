import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'], // unit, e2e, ui and cli suites
    pool: 'forks', // Temporal's native bridge and workers are happier in processes than in worker threads
    testTimeout: 120_000,
    hookTimeout: 180_000, // dev server start + workflow bundling on 2 cores
    fileParallelism: true,
    maxWorkers: 2, // the CI box has 2 cores
    minWorkers: 1,
    setupFiles: ['test/support/setup.ts'],
    reporters: process.env.CI ? ['verbose'] : ['default'],
    // CI runs the suite on three Node lines against real servers on a shared 2-core box: a test
    // must fail twice to fail the run (a real failure does; a timing hiccup of a server does not).
    retry: process.env.CI ? 1 : 0,
  },
});
