import { vi } from 'vitest';
import { runCli } from '../../src/program.ts';

/** Runs `osfp ARGS` in-process; returns its exit code and what it wrote to stdout and stderr. */
export async function runOsfp(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  process.exitCode = undefined;
  try {
    const code = await runCli(['node', 'osfp', ...args]);
    return { code, out, err };
  } finally {
    process.exitCode = undefined;
    o.mockRestore();
    e.mockRestore();
  }
}
