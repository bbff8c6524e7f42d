import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS and ESM builds. Node (and so yoga, loaded natively) gets the CJS one;
    // without this alias Vite would hand our sources the ESM one, and `instanceof` checks on
    // GraphQL classes would fail across the two copies.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Each file starts its own loopback servers on ephemeral ports; files run in parallel.
    pool: 'forks',
  },
});
