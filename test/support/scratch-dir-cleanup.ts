/**
 * A Vitest setup file: removes a test file's scratch directories when the file
 * ends. Hooks registered here are registered before the file's own, and Vitest
 * runs after-hooks in reverse order (`sequence.hooks: 'stack'`, its default),
 * so removal comes after the file's afterAll hooks have stopped its processes.
 */
import { afterAll } from 'vitest';
import { removeScratchDirs } from './scratch-dir.ts';

afterAll(removeScratchDirs);
