import { defineConfig } from 'vitest/config';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the run with a plain `N passed, N failed, N skipped` line, the summary
 * CI tooling reads whatever the runner (Vitest's own summary is coloured and
 * spread over several lines).
 */
const plainSummary: Reporter = {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>) {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else counts.skipped++;
      }
      // A file that failed to load has no tests but is a failure all the same.
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) counts.failed++;
    }
    process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  },
};

// Vitest's own layout: each package is a project with unit tests beside its
// sources; test/ holds cross-package and end-to-end tests that need the lab.
export default defineConfig({
  test: {
    projects: ['packages/*', 'test'],
    reporters: ['default', plainSummary],
  },
});
