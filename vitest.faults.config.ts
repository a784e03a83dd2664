import { defineConfig } from 'vitest/config';

// The fault suite: real load tests with faults injected; longer than the default run.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
