/**
 * One side of the `capture` benchmark in a process of its own, inside a lab
 * scanner namespace (capture-side-in-lab.main.ts), driven line by line from
 * the bench: started once, warmed up once, then handed chunk after chunk.
 */
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CaptureMethod, ProbeTarget } from '@osfp/collector';
import { spawnInNamespace } from './bench-lab.ts';
import type { TimedBatch } from './timed-batch.ts';

/** The client a side runs: the bare node:net loop, undici, or the collector's prober with a capture method. */
export type SideKind = 'bare' | 'undici' | CaptureMethod;

/** The first line a side process reads. */
export interface SideConfig {
  kind: SideKind;
  concurrency: number;
  timeoutMs: number;
}

/** What a side process answers for each chunk: a prober side, all of a TimedBatch too. */
export interface SideChunk extends Partial<TimedBatch> {
  seconds: number;
  /** Targets that answered (bare, undici) or completed their handshake (prober). */
  completed: number;
  /** This process's CPU (user + system) during the chunk. */
  cpuMs: number;
}

export interface SideProcess {
  readonly namespace: string;
  readonly kind: SideKind;
  /** Probes `targets` once; the answer comes when the last probe is done. */
  run(targets: readonly ProbeTarget[]): Promise<SideChunk>;
  /** Closes its stdin (the side closes its prober and exits) and waits for it. */
  close(): Promise<void>;
}

const script = fileURLToPath(new URL('./capture-side-in-lab.main.ts', import.meta.url));

/** Starts a side in `namespace` and waits until it is ready (its prober open, when it has one). */
export async function startSide(namespace: string, config: SideConfig, signal: AbortSignal): Promise<SideProcess> {
  const { child, stderr } = spawnInNamespace(namespace, script, signal);
  const what = `capture bench side ${config.kind} in ${namespace}`;
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  // A side that died is reported by the next line it never sends (with its
  // stderr), not by the EPIPE of writing to it.
  child.on('error', () => undefined);
  child.stdin.on('error', () => undefined);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<unknown> => {
    const line = await lines.next();
    if (line.done) {
      const code = await exited;
      throw new Error(`${what} exited ${code}: ${stderr() || 'no message'}`);
    }
    return JSON.parse(line.value) as unknown;
  };
  child.stdin.write(`${JSON.stringify(config)}\n`);
  await nextLine();
  return {
    namespace,
    kind: config.kind,
    async run(targets) {
      child.stdin.write(`${JSON.stringify({ targets })}\n`);
      return (await nextLine()) as SideChunk;
    },
    async close() {
      child.stdin.end();
      const code = await exited;
      if (code !== 0) throw new Error(`${what} exited ${code}: ${stderr() || 'no message'}`);
    },
  };
}
