import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The fault suite has its own script (npm run test:faults).
    exclude: ['test/faults/**', 'node_modules/**'],
    // Kafka-backed tests start an embedded cluster each; two cores do not gain from more parallel files.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
