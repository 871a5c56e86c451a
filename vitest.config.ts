import { defineConfig } from 'vitest/config';

// Process-level tests spawn real child processes; forks keep them isolated and a modest
// worker count keeps the 2-core machine from thrashing.
// The AWS SDK warns once per worker that its 2027 releases need Node 22; the tests pin an
// SDK release and run on the Node the project supports.
const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

/** The acceptance suites that also run against a node of a two-node cluster (issue 14). */
const CLUSTER_ACCEPTANCE = [
  'test/integration/aws-provisioned.test.ts',
  'test/integration/scf-provisioned.test.ts',
];

export default defineConfig({
  test: {
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: { name: 'hearth', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], env },
      },
      {
        // The same suites, each platform a node of a two-node cluster on PostgreSQL
        // (test/helpers/platform.ts; one node when no server answers, unless
        // HEARTH_REQUIRE_POSTGRES=1, which CI sets, makes that a failure).
        extends: true,
        test: {
          name: 'cluster-acceptance',
          include: CLUSTER_ACCEPTANCE,
          env: { ...env, HEARTH_TEST_CLUSTER: '1' },
          // Two nodes and a database per suite start slower than one node.
          hookTimeout: 120_000,
          testTimeout: 60_000,
        },
      },
    ],
  },
});
