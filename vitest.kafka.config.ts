import { defineConfig } from 'vitest/config';

// Real Apache Kafka (npm run test:kafka): each file starts ONE local cluster in beforeAll and
// stops it in afterAll. One file at a time: three JVMs per cluster already fill two cores.
export default defineConfig({
  test: {
    include: ['test/kafka-real/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
