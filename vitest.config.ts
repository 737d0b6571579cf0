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
  },
});
