import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Process tests (crash, restart, multi-node, browser) start servers on free ports; two
    // cores, so keep file-level parallelism modest.
    maxWorkers: 2,
    // PostgreSQL for the store contract and multi-node tests: one throwaway server per run, started
    // by the first test file that needs it (test/support/postgres.ts).
    // Chromium for the browser tests (installed with apt-get when missing and we are root).
    globalSetup: ['test/support/postgres.global.ts', 'test/support/chromium.setup.ts'],
  },
});
