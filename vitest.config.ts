import { defineConfig } from 'vitest/config';

// Process-level tests spawn real child processes; forks keep them isolated and a modest
// worker count keeps the 2-core machine from thrashing.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
