/**
 * CPU time from /proc, for benchmarks that must count processes they did not
 * start themselves (servers in other namespaces) or children they waited for
 * (Nmap, which `process.cpuUsage` does not include).
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/PID/stat's times (USER_HZ: 100 on every Linux build osfp runs on). */
const USER_HZ = 100;

/** The fields of /proc/PID/stat after the parenthesised command name (field 3, state, is index 0); null when gone. */
function statFields(pid: number | 'self'): string[] | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

const ticksToMs = (ticks: number) => (1000 * ticks) / USER_HZ;

/**
 * CPU milliseconds (user + system, all threads) that `pids` have used so far.
 * They may run in other namespaces of the lab: pids are global, /proc shows them.
 */
export function processesCpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const fields = statFields(pid);
    // utime is field 14, stime 15.
    if (fields) ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return ticksToMs(ticks);
}

/** CPU milliseconds (user + system) of this process's children that have exited and been waited for. */
export function waitedChildrenCpuMs(): number {
  const fields = statFields('self');
  // cutime is field 16, cstime 17.
  return fields ? ticksToMs(Number(fields[13] ?? 0) + Number(fields[14] ?? 0)) : 0;
}
