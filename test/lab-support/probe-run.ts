/**
 * Runs one prober batch (packages/collector/src/probe/probe-run.main.ts) inside a
 * lab namespace, as the collector would run it there, and returns its JSON
 * report: outcomes with captured SYN-ACK features, timing, capture counters
 * and resource counts.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProbeOutcome, ProbeTarget, ProberOptions } from '@osfp/collector';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const probeRun = join(repoRoot, 'packages/collector/src/probe/probe-run.main.ts');

export interface ResourceCount {
  sockets: number;
  timers: number;
  fds: number;
}

export interface ProbeRunResult {
  syn: { syn_olayout: string; syn_mss: number | null };
  outcomes: (Omit<ProbeOutcome, 'probed_at'> & { probed_at: string })[];
  elapsedMs: number;
  capture: { packetsRead?: number; table: { matched: number; missed: number } };
  resources: Record<'beforeProber' | 'beforeBatch' | 'afterBatch' | 'afterClose', ResourceCount>;
}

export function probeInNamespace(
  namespace: string,
  targets: ProbeTarget[],
  options: Omit<ProberOptions, 'signal'>,
): Promise<ProbeRunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, '--import', 'tsx', probeRun], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`probe-run exited ${code}: ${stderr}`));
      try {
        resolve(JSON.parse(stdout) as ProbeRunResult);
      } catch (error) {
        reject(new Error(`probe-run printed no JSON (${String(error)}): ${stdout.slice(0, 500)} ${stderr}`));
      }
    });
    child.stdin.end(JSON.stringify({ targets, options }));
  });
}
