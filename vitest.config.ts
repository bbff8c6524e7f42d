import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

// Suites that take seconds each: random data sets walked whole, loads, a browser, the benchmark,
// child processes. `npm run test:fast` leaves them out; `npm test` runs everything.
const SLOW = [
  'test/e2e/merged-property.test.ts',
  'test/e2e/load-smoke.test.ts',
  'test/e2e/bench-smoke.test.ts',
  'test/e2e/start.test.ts',
  'test/e2e/image.test.ts',
  'test/e2e/replicas.test.ts',
  'test/e2e/faults.test.ts',
  'test/browser/**/*.test.ts',
  'test/index/processes.test.ts',
];

const shared = {
  resolve: {
    // graphql 16 ships CJS and ESM builds. Node (and so yoga, loaded natively) gets the CJS one;
    // without this alias Vite would hand our sources the ESM one, and `instanceof` checks on
    // GraphQL classes would fail across the two copies.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
};

export default defineConfig({
  ...shared,
  test: {
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Each file starts its own loopback servers on ephemeral ports; files run in parallel.
    pool: 'forks',
    projects: [
      { ...shared, test: { name: 'fast', include: ['test/**/*.test.ts'], exclude: SLOW, testTimeout: 30_000, hookTimeout: 30_000, pool: 'forks' } },
      { ...shared, test: { name: 'slow', include: SLOW, testTimeout: 60_000, hookTimeout: 60_000, pool: 'forks' } },
    ],
  },
});
