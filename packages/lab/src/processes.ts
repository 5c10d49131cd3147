/**
 * The lab's long-running processes (servers, DNS): started detached inside a
 * namespace, recorded in the state directory with their start time so `down`
 * can kill exactly them later (a bare pid could have been reused).
 */
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inNamespace } from './netns.ts';

export const STATE_ROOT = '/run/osfp-lab';

export function stateDir(prefix: string): string {
  return join(STATE_ROOT, prefix);
}

export interface ProcessRecord {
  name: string;
  namespace: string;
  pid: number;
  /** Field 22 of /proc/PID/stat: tells this process from a later one with the same pid. */
  startTime: string;
  command: string[];
  /** Size of the (appended) log when this process started: readiness is looked for after it. */
  logOffset?: number;
}

function pidDir(prefix: string): string {
  return join(stateDir(prefix), 'pids');
}

export function logPath(prefix: string, name: string): string {
  return join(stateDir(prefix), 'logs', `${name}.log`);
}

export async function processStartTime(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; fields after the last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    if (state === 'Z' || state === 'X') return null;
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** Starts `command` detached inside `namespace`, logging to the state dir, and records it. */
export async function startDetached(
  prefix: string,
  name: string,
  namespace: string,
  command: string,
  args: string[],
  cwd?: string,
): Promise<ProcessRecord> {
  await mkdir(pidDir(prefix), { recursive: true });
  await mkdir(join(stateDir(prefix), 'logs'), { recursive: true });
  const log = openSync(logPath(prefix, name), 'a');
  const logOffset = fstatSync(log).size;
  const [cmd, full] = inNamespace(namespace, command, args);
  try {
    const child = spawn(cmd, full, {
      detached: true,
      stdio: ['ignore', log, log],
      ...(cwd === undefined ? {} : { cwd }),
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${name}: ${cmd} ${full.join(' ')}`);
    child.unref();
    // `ip netns exec` execs the command in place, so this pid is the server's own.
    const startTime = (await processStartTime(pid)) ?? '';
    const record: ProcessRecord = { name, namespace, pid, startTime, command: [cmd, ...full], logOffset };
    // Written aside and renamed: a record that exists is whole, even if this `up` is killed mid-write.
    const recordPath = join(pidDir(prefix), `${name}.json`);
    await writeFile(`${recordPath}.tmp`, `${JSON.stringify(record)}\n`);
    await rename(`${recordPath}.tmp`, recordPath);
    return record;
  } finally {
    closeSync(log);
  }
}

export async function recordedProcesses(prefix: string): Promise<ProcessRecord[]> {
  let files: string[];
  try {
    files = await readdir(pidDir(prefix));
  } catch {
    return [];
  }
  const records: ProcessRecord[] = [];
  for (const file of files.filter((f) => f.endsWith('.json')).sort()) {
    try {
      records.push(JSON.parse(await readFile(join(pidDir(prefix), file), 'utf8')) as ProcessRecord);
    } catch {
      // A half-written record from an interrupted `up`: the namespace sweep in `down` still kills its process.
    }
  }
  return records;
}

export async function isAlive(record: ProcessRecord): Promise<boolean> {
  const startTime = await processStartTime(record.pid);
  // Without a recorded start time the pid alone proves nothing (it may be reused); the
  // namespace sweep in `down` still finds a real lab process.
  return startTime !== null && startTime === record.startTime;
}

/** SIGTERM, then SIGKILL after `graceMs`, for each pid still alive. */
export async function killPids(pids: readonly number[], graceMs = 2_000): Promise<void> {
  const signal = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // Already gone.
    }
  };
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  let remaining = [...pids];
  while (remaining.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    const alive: number[] = [];
    for (const pid of remaining) if ((await processStartTime(pid)) !== null) alive.push(pid);
    remaining = alive;
  }
  for (const pid of remaining) signal(pid, 'SIGKILL');
  // Wait for SIGKILL to land so the namespaces are really empty when we return.
  const hardDeadline = Date.now() + 5_000;
  while (remaining.length > 0 && Date.now() < hardDeadline) {
    await new Promise((r) => setTimeout(r, 20));
    const alive: number[] = [];
    for (const pid of remaining) if ((await processStartTime(pid)) !== null) alive.push(pid);
    remaining = alive;
  }
}

/** Waits until the process's log contains `marker` (it is ready), or fails with the log's tail. */
export async function waitForLog(
  prefix: string,
  record: ProcessRecord,
  marker: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let text = '';
    try {
      // A restarted process appends to its predecessor's log: only what it wrote counts.
      text = (await readFile(logPath(prefix, record.name))).subarray(record.logOffset ?? 0).toString('utf8');
    } catch {
      // Not written yet.
    }
    if (text.includes(marker)) return;
    const alive = await isAlive(record);
    if (!alive || Date.now() > deadline) {
      const tail = text.split('\n').slice(-15).join('\n');
      throw new Error(
        `lab process "${record.name}" in namespace ${record.namespace} ${alive ? 'did not become ready in time' : 'exited'}` +
          ` (log ${logPath(prefix, record.name)}):\n${tail}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function removeState(prefix: string): Promise<void> {
  await rm(stateDir(prefix), { recursive: true, force: true });
  try {
    // rmdir (not rm -r) fails while another lab still keeps its state here, which is what we want.
    await rmdir(STATE_ROOT);
  } catch {
    // Not empty, or already gone.
  }
}
