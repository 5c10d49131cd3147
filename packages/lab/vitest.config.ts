import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'lab', include: ['test/**/*.test.ts'] },
});
