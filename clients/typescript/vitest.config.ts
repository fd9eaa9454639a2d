import { defineConfig } from 'vitest/config';

// Unit tests: fakes only (fake WebSocket, fake timers), no network.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
