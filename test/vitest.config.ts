import { defineProject } from 'vitest/config';

// End-to-end tests share one lab (namespaces are global to the machine), so
// they run one file at a time; the lab is brought up once per run.
export default defineProject({
  test: {
    name: 'e2e',
    include: ['**/*.test.ts'],
    globalSetup: ['./lab-support/global-setup.ts'],
    // Removes the directories tests make with scratchDir() when each file ends.
    setupFiles: ['@osfp/test-support/scratch-dir-cleanup'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
