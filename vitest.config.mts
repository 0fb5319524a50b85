import { defineConfig } from 'vitest/config';

// .mts: the repo is CommonJS, and Vite wants its config as native ESM.
// `test/` mirrors `src/`: the test of a file is found by its path. These need no server.
const UNIT = [
  'test/core/**/*.test.ts',
  'test/**/*.types.test.ts',
  'test/config.test.ts',
  'test/workflows/retry.test.ts',
  'test/scripts/docs/**/*.test.ts',
  'test/api/app.test.ts',
  'test/services/outbound/throttle.test.ts',
  'test/services/token-buckets.test.ts',
  'test/services/outbound/policy.test.ts',
  'test/activities/variables.test.ts',
  'test/activities/rest.activities.test.ts',
  'test/services/webhooks/event-patterns.test.ts',
  'test/services/outbound/retry-after.test.ts',
  'test/services/hooks/**/*.test.ts',
];

export default defineConfig({
  test: {
    pool: 'forks',
    teardownTimeout: 30_000,
    projects: [
      {
        // The pure code (the core, configuration, retry options): no servers, milliseconds.
        test: { name: 'unit', include: UNIT },
      },
      {
        // Everything with I/O, against the real servers. The global setup starts one Temporal dev
        // server and one MongoDB-compatible server for the run (or uses TEMPORAL_ADDRESS /
        // MONGODB_URI). No timeout applies to it: the first run on a machine builds FerretDB and the
        // Temporal CLI and resolves the Java test server (scripts/dev/toolchain.ts).
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          exclude: UNIT,
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
