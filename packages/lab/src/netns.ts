/**
 * Running commands, and commands inside network namespaces, with errors that
 * say which command failed and what it printed.
 */
import { execFile } from 'node:child_process';

/** `command args...` run inside `namespace`: ['ip', ['netns', 'exec', namespace, command, ...args]]. */
export function inNamespace(namespace: string, command: string, args: string[]): [string, string[]] {
  return ['ip', ['netns', 'exec', namespace, command, ...args]];
}

export class CommandError extends Error {
  readonly stderr: string;
  readonly code: number | null;
  constructor(command: string, args: readonly string[], code: number | null, stderr: string) {
    super(
      `command failed (exit ${code ?? 'signal'}): ${[command, ...args].join(' ')}${stderr ? `\n${stderr.trim()}` : ''}`,
    );
    this.name = 'CommandError';
    this.stderr = stderr;
    this.code = code;
  }
}

/** Runs a command to completion; resolves with stdout, rejects with CommandError. */
export function run(
  command: string,
  args: readonly string[],
  options: { timeoutMs?: number; input?: string } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      [...args],
      { timeout: options.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) {
          const code = typeof error.code === 'number' ? error.code : null;
          reject(new CommandError(command, args, code, stderr || error.message));
        } else {
          resolve(stdout);
        }
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** `ip ...` in the root namespace's tools, aimed at a namespace with `-n` where given. */
export function ip(args: readonly string[]): Promise<string> {
  return run('ip', args);
}

export function runIn(namespace: string, command: string, args: string[]): Promise<string> {
  const [cmd, full] = inNamespace(namespace, command, args);
  return run(cmd, full);
}

export async function listNamespaces(): Promise<string[]> {
  const out = await run('ip', ['netns', 'list']);
  // Lines look like "osfp-scan (id: 3)" or just "osfp-scan".
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name.length > 0);
}

/** Pids of every process living in the namespace (empty when it does not exist). */
export async function namespacePids(namespace: string): Promise<number[]> {
  try {
    const out = await run('ip', ['netns', 'pids', namespace]);
    return out.split(/\s+/).filter(Boolean).map(Number).filter(Number.isInteger);
  } catch {
    return [];
  }
}

/** Sets sysctls inside a namespace (net.* sysctls are per namespace). */
export async function setSysctls(namespace: string, pairs: readonly [string, string][]): Promise<void> {
  if (pairs.length === 0) return;
  await runIn(namespace, 'sysctl', ['-q', '-w', ...pairs.map(([k, v]) => `${k}=${v}`)]);
}
