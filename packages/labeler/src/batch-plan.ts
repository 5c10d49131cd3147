/**
 * Which hosts go to which Nmap process. Targets reach Nmap only as validated
 * IPv4 addresses and port numbers, never as strings from outside.
 */
import { isIPv4 } from 'node:net';

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
  readonly targets: readonly LabelTarget[];
  /** -p argument: the union of the batch's ports, TCP only. */
  readonly portSpec: string;
}

/** Throws a clear error for the first target that is not an IPv4 address with valid ports. */
export function validateTargets(targets: readonly LabelTarget[]): void {
  for (const [i, t] of targets.entries()) {
    const where = `label target #${i} (${JSON.stringify(t.ip)})`;
    if (typeof t.ip !== 'string' || !isIPv4(t.ip)) {
      throw new Error(
        `${where}: not an IPv4 address in dotted-quad form; only validated IPv4 addresses are passed to Nmap`,
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

/**
 * Splits targets over Nmap processes: one entry per IP, hosts with the same
 * ports side by side (so each process scans few ports), batches as even as
 * possible and at least `processes` of them so every process has work, none
 * larger than `batchSize`.
 */
export function planBatches(
  targets: readonly LabelTarget[],
  batchSize: number,
  processes: number,
  fallbackClosedPort: number | null = DEFAULT_FALLBACK_CLOSED_PORT,
): NmapBatch[] {
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
    batches.push({ targets: slice, portSpec: portSpecOf(slice, fallbackClosedPort) });
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
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}
