import { defineConfig } from 'vitest/config';

// Vitest's own layout: each package is a project with unit tests beside its
// sources; test/ holds cross-package and end-to-end tests that need the lab.
export default defineConfig({
  test: {
    projects: ['packages/*', 'test'],
  },
});
