import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CollectInputError } from '../collect-input-error.ts';
import { resolveLabelSources } from '../worker/label-sources.ts';
import type { CollectOptions } from './collect-options.ts';

/** What a failed file system call means to the person who named the path. */
export function describeFsError(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'it does not exist';
    case 'ENOTDIR':
      return 'a part of its path is not a directory';
    case 'EISDIR':
      return 'it is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return (error as Error).message;
  }
}

/** A file the run reads: it must exist, be a regular file and be readable. */
async function checkReadableFile(path: string, what: string): Promise<void> {
  const info = await stat(path).catch((error: unknown) => {
    throw new CollectInputError(`${what} ${path} cannot be read: ${describeFsError(error)}`);
  });
  if (info.isDirectory()) throw new CollectInputError(`${what} ${path} is a directory, not a file`);
  await access(path, constants.R_OK).catch((error: unknown) => {
    throw new CollectInputError(`${what} ${path} cannot be read: ${describeFsError(error)}`);
  });
}

/** The data directory must be a directory, or a path `mkdir -p` can create and this user can write. */
async function checkDataDir(dataDir: string): Promise<void> {
  let path = resolve(dataDir);
  for (;;) {
    const info = await stat(path).catch(() => null);
    if (info !== null) {
      if (!info.isDirectory()) {
        throw new CollectInputError(
          path === resolve(dataDir)
            ? `--data-dir ${dataDir} is not a directory`
            : `--data-dir ${dataDir} cannot be created: ${path} is not a directory`,
        );
      }
      await access(path, constants.W_OK | constants.X_OK).catch(() => {
        throw new CollectInputError(`--data-dir ${dataDir}: ${path} is not writable by this user`);
      });
      return;
    }
    if (dirname(path) === path) return;
    path = dirname(path);
  }
}

/**
 * Checks what a run reads and where it writes before anything is started
 * or written: the data directory, the targets file (new runs), the exclude
 * files, and (without --redis) the run to resume.
 */
export async function checkCollectInputs(options: CollectOptions): Promise<void> {
  await checkDataDir(options.dataDir);
  if (options.resume === undefined && options.targets !== undefined)
    await checkReadableFile(options.targets, 'targets file');
  for (const file of options.exclude) await checkReadableFile(file, 'exclude file');
  // Only local workers send from them; a pure coordinator has no use for this machine's addresses.
  if (options.localWorkers) resolveLabelSources(options.labelSources);
  if (options.resume !== undefined && options.redis === undefined) {
    // Every run writes run.json into the data directory; only a run whose record lives in a given Redis may lack it here.
    const record = join(resolve(options.dataDir), 'runs', options.resume, 'run.json');
    if ((await stat(record).catch(() => null)) === null) {
      throw new CollectInputError(
        `no run ${options.resume} to resume in ${resolve(options.dataDir)}; check --data-dir (and --redis if the run used one)`,
      );
    }
  }
}
