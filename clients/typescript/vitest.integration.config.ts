import { defineConfig } from 'vitest/config';

// Integration tests: a real server process (see test/integration/server.ts) and `ws` as the WebSocket.
export default defineConfig({
  test: {
    include: ['test/integration/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 90_000,
    // One server per file; files run one after another so timing-sensitive tests do not compete for 2 cores.
    fileParallelism: false,
  },
});
