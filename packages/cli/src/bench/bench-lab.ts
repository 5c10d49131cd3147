import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import {
  labDown,
  labStatus,
  labUp,
  loadProfile,
  runningPlan,
  sameProfile,
  type LabPlan,
  type LabProfile,
} from '@osfp/lab';

const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/**
 * Starts a bench script inside a lab namespace (so every packet it sends
 * stays in the lab), its stdio piped; `stderr()` is the last 4,000
 * characters it wrote there, trimmed, for error messages.
 */
export function spawnInNamespace(
  namespace: string,
  script: string,
  signal: AbortSignal,
  env: NodeJS.ProcessEnv = process.env,
): { child: ChildProcessWithoutNullStreams; stderr: () => string } {
  const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, '--import', tsxLoader, script], {
    stdio: ['pipe', 'pipe', 'pipe'],
    signal,
    env,
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  return { child, stderr: () => stderr.trim() };
}

/**
 * Runs a bench script inside a lab namespace (so every packet it sends stays
 * in the lab), hands it `input` as JSON on stdin and resolves with the JSON
 * report it prints as its last stdout line. `what` names the run in errors.
 */
export function runJsonInNamespace<Report>(
  namespace: string,
  script: string,
  input: object,
  what: string,
  signal: AbortSignal,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Report> {
  return new Promise((resolve, reject) => {
    const { child, stderr } = spawnInNamespace(namespace, script, signal, env);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${what} in ${namespace} exited ${code}: ${stderr()}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as Report);
      } catch {
        reject(new Error(`${what} printed no report: ${stdout.slice(0, 300)} ${stderr()}`));
      }
    });
    child.stdin.end(JSON.stringify(input));
  });
}

/**
 * Runs `measure` with a bench lab: brings it up when it is not, and takes it
 * down afterwards only if it brought it up, so a lab someone keeps up stays
 * up. The free-network lab has prefix `osfpb` (OSFP_BENCH_LAB_PREFIX
 * overrides); benchmarks under a network profile use their own lab, that
 * prefix with an `i` (`osfpbi`), so the two never rebuild each other. A lab
 * that is up with other conditions than the benchmark's is rebuilt with them.
 */
export async function withBenchLab<T>(
  measure: (plan: LabPlan) => Promise<T>,
  opts: { profile?: LabProfile | null } = {},
): Promise<T> {
  const profile = opts.profile ?? null;
  const base = process.env['OSFP_BENCH_LAB_PREFIX'] ?? 'osfpb';
  const prefix = profile ? `${base}i`.slice(0, 10) : base;
  const status = await labStatus({ prefix });
  const broughtUp = !status.up;
  const plan =
    status.up && sameProfile(status.profile, profile)
      ? await runningPlan({ prefix })
      : await labUp({ prefix, profile });
  try {
    return await measure(plan);
  } finally {
    if (broughtUp) await labDown({ prefix });
  }
}

/** The network profile of the `internet-*` benchmarks: OSFP_BENCH_PROFILE (a built-in name or a file), else `internet`. */
export function benchProfile(): LabProfile {
  const name = process.env['OSFP_BENCH_PROFILE'] ?? 'internet';
  const profile = loadProfile(name);
  if (!profile) throw new Error('OSFP_BENCH_PROFILE=none: the internet benchmarks need a network profile');
  return profile;
}
