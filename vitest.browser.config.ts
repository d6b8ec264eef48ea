import { defineConfig } from 'vitest/config';

// Real Chromium (/usr/bin/chromium from Debian) driven through the user journey.
export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    maxWorkers: 1,
  },
});
