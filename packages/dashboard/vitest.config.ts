import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'dashboard',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Removes the directories tests make with scratchDir() when each file ends.
    setupFiles: ['@osfp/test-support/scratch-dir-cleanup'],
  },
});
