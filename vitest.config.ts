import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    include: ['test/**/*.test.ts'],
    // The browser journey needs Debian's Chromium: `npm run test:browser` (and CI) runs it.
    exclude: ['test/browser/**', '**/node_modules/**'],
    // End-to-end tests start real PocketBase processes and wait for their log flushes.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: one PocketBase-heavy file per core keeps timings honest.
    maxWorkers: 2,
  },
});
