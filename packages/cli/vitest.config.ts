import { defineProject } from 'vitest/config';

export default defineProject({
  // Real tools, processes and files: on a busy 2-core machine a test can take several seconds.
  test: {
    name: 'cli',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Removes the directories tests make with scratchDir() when each file ends.
    setupFiles: ['@osfp/test-support/scratch-dir-cleanup'],
  },
});
