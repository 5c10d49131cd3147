/**
 * A failed file system or network call that reached the top (a path the user
 * gave that cannot be read or written, a full disk): its one-line meaning,
 * or null when `error` is not such a call. Mapped once, in runCli, so no
 * command needs its own try/catch.
 */
export function systemErrorMessage(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  const { code, syscall, path } = error as NodeJS.ErrnoException;
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code) || syscall === undefined) return null;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory',
    ENOTDIR: 'a part of the path is not a directory',
    EISDIR: 'it is a directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EEXIST: 'it already exists',
    ENOSPC: 'no space left on the device',
    EROFS: 'read-only file system',
    EMFILE: 'too many open files',
    ECONNREFUSED: 'connection refused',
  };
  const what = path === undefined ? syscall : `${syscall} ${path}`;
  return `cannot ${what}: ${reasons[code] ?? error.message} (${code})`;
}
