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
    // The AWS SDK warns once per worker that its 2027 releases need Node 22; the tests
    // pin an SDK release and run on the Node the project supports.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
