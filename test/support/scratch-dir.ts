/**
 * Scratch directories for tests: made under the OS temp dir and removed when
 * the test file ends, so `pnpm test` leaves nothing behind in /tmp. Set
 * OSFP_KEEP_TEST_DIRS=1 to keep them for looking into a failure.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

/** A fresh directory `<tmpdir>/<prefix>XXXXXX`, removed by `removeScratchDirs()`. */
export async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

function keepsScratchDirs(): boolean {
  return process.env['OSFP_KEEP_TEST_DIRS'] === '1';
}

/**
 * Removes every directory `scratchDir` made so far. Never throws: a test's
 * cleanup must not turn a passing file into a failing one. A child process
 * (redis-server rewriting its AOF, a collect run) that is still exiting can
 * write into a directory while it is being removed (ENOTEMPTY), so removal is
 * retried for about 1.5 s before it is reported and left.
 */
export async function removeScratchDirs(): Promise<void> {
  const dirs = made.splice(0);
  if (dirs.length === 0) return;
  if (keepsScratchDirs()) {
    process.stderr.write(`OSFP_KEEP_TEST_DIRS=1: kept ${dirs.join(' ')}\n`);
    return;
  }
  await Promise.all(dirs.map(removeQuietly));
}

async function removeQuietly(dir: string): Promise<void> {
  try {
    // rm retries EBUSY, ENOTEMPTY and EPERM itself, waiting 100, 200, ... 500 ms.
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  } catch (error) {
    process.stderr.write(`could not remove test scratch dir ${dir}: ${String(error)}\n`);
  }
}
