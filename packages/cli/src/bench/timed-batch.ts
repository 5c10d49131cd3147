/**
 * One timed batch of the collector's prober, as the capture benchmarks
 * measure it: wall time, what completed and had its SYN-ACK, and the CPU of
 * the prober's process, of its capture and of the servers that answered.
 */
import type { Prober, ProbeTarget } from '@osfp/collector';
import { processesCpuMs } from './process-cpu.ts';

export interface TimedBatch {
  seconds: number;
  succeeded: number;
  /** Exchanges whose handshake completed, whatever happened after. */
  completed: number;
  /** Completed exchanges that had their SYN-ACK. */
  captured: number;
  packetsRead: number;
  /** The capture's CPU: libpcap's packet handling in this process, or the raw socket's capture process. */
  captureCpuMs: number;
  /** The prober's own process (connections, HTTP, capture, pairing): where a small machine's cores go. */
  proberCpuMs: number;
  serverCpuMs: number;
  missed: number;
  syncs: number;
}

const NOT_COMPLETED = new Set(['refused', 'no-synack', 'unreachable', 'error']);

/** Probes `targets` once with `prober`; `serverPids` are the processes serving them, whose CPU is counted. */
export async function timeBatch(
  prober: Prober,
  targets: ProbeTarget[],
  serverPids: readonly number[] = [],
): Promise<TimedBatch> {
  // Counted from here: the capture's start-up and earlier batches are not these probes' cost.
  const before = await prober.captureStats();
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const serversBefore = processesCpuMs(serverPids);
  const outcomes = await prober.probeBatch(targets);
  const cpu = process.cpuUsage(cpuBefore);
  const serverCpuMs = processesCpuMs(serverPids) - serversBefore;
  const seconds = (performance.now() - started) / 1000;
  const completed = outcomes.filter((o) => !NOT_COMPLETED.has(o.probe_status));
  const stats = await prober.captureStats();
  return {
    seconds,
    succeeded: outcomes.filter((o) => o.probe_status === 'success').length,
    completed: completed.length,
    captured: completed.filter((o) => o.synack !== null).length,
    packetsRead: stats.packetsRead - before.packetsRead,
    captureCpuMs: stats.cpuMs - before.cpuMs,
    proberCpuMs: (cpu.user + cpu.system) / 1000,
    serverCpuMs,
    missed: stats.table.missed - before.table.missed,
    syncs: stats.table.syncs - before.table.syncs,
  };
}
