import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Native code and real databases: run files in forked processes so a crash names its file.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 300_000,
  },
});
