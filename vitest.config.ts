import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The fault suite and the real-Kafka suite have their own scripts (npm run test:faults, test:kafka).
    exclude: ['test/faults/**', 'test/kafka-real/**', 'node_modules/**'],
    // Kafka-backed tests start an embedded cluster each; two cores do not gain from more parallel files.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
