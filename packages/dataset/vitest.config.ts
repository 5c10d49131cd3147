import { defineProject } from 'vitest/config';

export default defineProject({
  // DuckDB writes real files; on a busy 2-core machine a test can take several seconds.
  test: { name: 'dataset', include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});
