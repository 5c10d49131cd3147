import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'labeler', include: ['test/**/*.test.ts'] },
});
