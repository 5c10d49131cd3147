/**
 * Which hosts go to which Nmap process. Targets reach Nmap only as validated
 * IPv4 or IPv6 addresses and port numbers, never as strings from outside.
 * One Nmap scans one family (`nmap -6` for IPv6), so batches never mix them.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface LabelTarget {
  readonly ip: string;
  /** The open TCP port the probe found: Nmap's OS detection needs one. */
  readonly openPort: number;
  /** A port known (or guessed) to be closed; Nmap's closed-port tests are better with a real one. */
  readonly closedPort?: number | undefined;
}

/**
 * Scanned as the closed port of hosts the probe found none for. Nmap's
 * closed-port tests (T5-T7) otherwise go to a random port, and in the lab
 * labels came out measurably worse without one; tcpmux (1) is almost never
 * open, and a filtered answer costs only that one probe.
 */
export const DEFAULT_FALLBACK_CLOSED_PORT = 1;

export interface NmapBatch {
  /** 6: every target is IPv6 and Nmap runs with -6. */
  readonly family: 4 | 6;
  readonly targets: readonly LabelTarget[];
  /** -p argument: the union of the batch's ports, TCP only. */
  readonly portSpec: string;
}

/** Throws a clear error for the first target that is not an IPv4 or IPv6 address with valid ports. */
export function validateTargets(targets: readonly LabelTarget[]): void {
  for (const [i, t] of targets.entries()) {
    const where = `label target #${i} (${JSON.stringify(t.ip)})`;
    if (typeof t.ip !== 'string' || !(isIPv4(t.ip) || (isIPv6(t.ip) && !t.ip.includes('%')))) {
      throw new Error(
        `${where}: not an IPv4 address in dotted-quad form or an IPv6 address; only validated addresses are passed to Nmap`,
      );
    }
    if (!isPort(t.openPort)) throw new Error(`${where}: openPort ${String(t.openPort)} is not a TCP port (1-65535)`);
    if (t.closedPort !== undefined && !isPort(t.closedPort)) {
      throw new Error(`${where}: closedPort ${String(t.closedPort)} is not a TCP port (1-65535)`);
    }
  }
}

function isPort(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** Most hosts in one batch: one size, or one per address family. */
export type BatchSize = number | ((family: 4 | 6) => number);

/**
 * Splits targets over Nmap processes: one entry per IP, hosts with the same
 * ports side by side (so each process scans few ports), batches as even as
 * possible and at least `processes` of them so every process has work, none
 * larger than `batchSize`.
 */
export function planBatches(
  targets: readonly LabelTarget[],
  batchSize: BatchSize,
  processes: number,
  fallbackClosedPort: number | null = DEFAULT_FALLBACK_CLOSED_PORT,
): NmapBatch[] {
  const v4 = targets.filter((t) => isIPv4(t.ip));
  const v6 = targets.filter((t) => !isIPv4(t.ip));
  if (v6.length === 0) return planFamily(4, v4, batchSize, processes, fallbackClosedPort);
  if (v4.length === 0) return planFamily(6, v6, batchSize, processes, fallbackClosedPort);
  // Both families: the processes are shared in proportion, each family getting at least one.
  const v6Processes = Math.min(processes - 1, Math.max(1, Math.round((processes * v6.length) / targets.length)));
  return [
    ...planFamily(4, v4, batchSize, Math.max(1, processes - v6Processes), fallbackClosedPort),
    ...planFamily(6, v6, batchSize, Math.max(1, v6Processes), fallbackClosedPort),
  ];
}

function planFamily(
  family: 4 | 6,
  targets: readonly LabelTarget[],
  batchSizes: BatchSize,
  processes: number,
  fallbackClosedPort: number | null,
): NmapBatch[] {
  const batchSize = typeof batchSizes === 'number' ? batchSizes : batchSizes(family);
  const byIp = new Map<string, LabelTarget>();
  for (const t of targets) if (!byIp.has(t.ip)) byIp.set(t.ip, t);
  const unique = [...byIp.values()].sort(
    (a, b) => a.openPort - b.openPort || (a.closedPort ?? 0) - (b.closedPort ?? 0) || ipOrder(a.ip) - ipOrder(b.ip),
  );
  if (unique.length === 0) return [];
  const count = Math.min(unique.length, Math.max(processes, Math.ceil(unique.length / batchSize)));
  const batches: NmapBatch[] = [];
  for (let i = 0; i < count; i++) {
    const slice = unique.slice(Math.floor((i * unique.length) / count), Math.floor(((i + 1) * unique.length) / count));
    batches.push({ family, targets: slice, portSpec: portSpecOf(slice, fallbackClosedPort) });
  }
  return batches;
}

function portSpecOf(targets: readonly LabelTarget[], fallbackClosedPort: number | null): string {
  const ports = new Set<number>();
  for (const t of targets) {
    ports.add(t.openPort);
    const closed = t.closedPort ?? fallbackClosedPort;
    if (closed !== null) ports.add(closed);
  }
  return `T:${[...ports].sort((a, b) => a - b).join(',')}`;
}

function ipOrder(ip: string): number {
  if (ip.includes(':')) return 0; // IPv6: the input order (stable sort) is as good as any
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}
