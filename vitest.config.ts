import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Vitest's default (one worker fewer than the cores) leaves a 2-core machine one worker, and
    // most test files wait on sockets and child processes: two workers there halve the suite's time.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
