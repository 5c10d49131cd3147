/**
 * One Nmap process: spawned from an argv array (never a shell), fed its
 * targets on stdin, stopped by a deadline or an AbortSignal. Nmap runs in its
 * own process group and the whole group is killed, so a wrapper such as
 * `ip netns exec` or `sudo` cannot leave an orphan Nmap behind.
 */
import { spawn } from 'node:child_process';

/** Turns the Nmap command into the command actually run (e.g. wrapped in `ip netns exec NS`). */
export type CommandWrapper = (command: string, args: readonly string[]) => readonly [string, readonly string[]];

export interface NmapRunOptions {
  readonly input?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal | undefined;
  readonly exec?: CommandWrapper | undefined;
  /** How long Nmap gets to exit after SIGTERM before SIGKILL. */
  readonly killGraceMs?: number;
}

export interface NmapRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly exitSignal: NodeJS.Signals | null;
  /** Why we stopped Nmap, if we did. */
  readonly stoppedBy: 'timeout' | 'abort' | null;
  readonly pid: number | undefined;
  readonly elapsedMs: number;
}

/** Process groups still running, killed if this process exits first. */
const running = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pgid of running) killGroup(pgid, 'SIGKILL');
  });
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

/** Runs Nmap to completion (or until stopped); rejects only when it cannot be started. */
export function runNmap(nmapPath: string, args: readonly string[], options: NmapRunOptions = {}): Promise<NmapRun> {
  const [command, argv] = options.exec ? options.exec(nmapPath, args) : [nmapPath, args];
  const started = performance.now();
  return new Promise<NmapRun>((resolve, reject) => {
    if (options.signal?.aborted) {
      resolve({
        stdout: '',
        stderr: '',
        exitCode: null,
        exitSignal: null,
        stoppedBy: 'abort',
        pid: undefined,
        elapsedMs: 0,
      });
      return;
    }
    const child = spawn(command, [...argv], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const pid = child.pid;
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let stoppedBy: NmapRun['stoppedBy'] = null;
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const stop = (why: 'timeout' | 'abort') => {
      if (stoppedBy !== null || pid === undefined || !running.has(pid)) return;
      stoppedBy = why;
      killGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), options.killGraceMs ?? 2000);
    };
    const onAbort = () => stop('abort');
    const deadline = options.timeoutMs !== undefined ? setTimeout(() => stop('timeout'), options.timeoutMs) : undefined;
    const cleanup = () => {
      if (pid !== undefined) running.delete(pid);
      clearTimeout(deadline);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
    };

    if (pid !== undefined) {
      running.add(pid);
      installExitHook();
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // Nmap may exit before reading all its input (e.g. a usage error): that is reported by its exit, not EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');

    child.once('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(
        error.code === 'ENOENT'
          ? new Error(`cannot run "${command}": not found. Install Nmap (apt-get install nmap) or pass nmapPath`)
          : new Error(`cannot run "${command}": ${error.message}`),
      );
    });
    child.once('close', (exitCode, exitSignal) => {
      if (settled) return;
      settled = true;
      // Nmap is gone, but a wrapper's other children may not be: sweep the group once more.
      if (pid !== undefined && stoppedBy !== null) killGroup(pid, 'SIGKILL');
      cleanup();
      resolve({
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        exitCode,
        exitSignal,
        stoppedBy,
        pid,
        elapsedMs: performance.now() - started,
      });
    });
  });
}
