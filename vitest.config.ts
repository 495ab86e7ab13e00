import { defineConfig } from 'vitest/config';

// Native tests share one addon and 2 cores: run files one at a time, generous timeouts for training.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
