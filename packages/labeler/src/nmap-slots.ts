/**
 * A cap on Nmap processes shared by several labelHosts calls at once, and the
 * source address each process sends from. A worker labels three batches at a
 * time through one of these: a call's last Nmap processes (its slowest hosts,
 * then its retry pass) leave most of the cap idle, and the other batches' Nmap
 * processes fill it, while the machine never runs more Nmap processes than
 * the cap.
 *
 * Source addresses: Nmap 7.93 reads its capture buffer one packet per send
 * cycle once a wait has timed out (osscan2.cc never resets `timedout`), and
 * processes that share an address each capture every other's ICMP answers. On
 * a loaded machine a process then falls behind for good and ends its scan
 * with the last answers unread (T4-T7 recorded as no answer), which changes
 * labels. A process given an address of its own captures only its own
 * answers (lab, 576 hosts under load: lost answers in 4 of 6 runs with one
 * shared address, in 0 of 6 with one address per process).
 */
import { isIPv6 } from 'node:net';
import PQueue from 'p-queue';

/** A local address Nmap sends from (`-S`), on the interface that holds it (`-e`). */
export interface NmapSource {
  readonly address: string;
  readonly interface: string;
}

export class NmapSlots {
  private readonly queue: PQueue;
  private readonly sources: readonly NmapSource[];
  /** Processes running from each source (same order as `sources`). */
  private readonly using: number[];

  /**
   * `sources`: addresses of this machine for the processes to send from, one
   * per process at a time while there are enough (then the least used one);
   * none: Nmap picks the address, as it would on its own.
   */
  constructor(processes: number, sources: readonly NmapSource[] = []) {
    this.queue = new PQueue({ concurrency: NmapSlots.checked(processes) });
    for (const source of sources) {
      if (!source.interface) throw new Error(`NmapSlots: source ${source.address} needs its interface name`);
    }
    const distinct = new Set(sources.map((s) => s.address));
    if (distinct.size !== sources.length) throw new Error('NmapSlots: a source address is given twice');
    this.sources = [...sources];
    this.using = sources.map(() => 0);
  }

  /** Nmap processes allowed at once; a change applies to the next process to start. */
  get processes(): number {
    return this.queue.concurrency;
  }

  set processes(processes: number) {
    this.queue.concurrency = NmapSlots.checked(processes);
  }

  /** Whether every process of `family` that runs at once gets an address of its own (not shared with another process). */
  hasSourceEach(family: 4 | 6): boolean {
    const ofFamily = this.sources.filter((s) => (isIPv6(s.address) ? 6 : 4) === family).length;
    return ofFamily >= this.processes;
  }

  /**
   * Runs `work` (one Nmap process and its parsing) once a slot is free,
   * giving it a source address of the batch's family to send from (null when
   * none was given for that family).
   */
  run<T>(family: 4 | 6, work: (source: NmapSource | null) => Promise<T>): Promise<T> {
    return this.queue.add(
      async () => {
        const index = this.lease(family);
        try {
          return await work(index === null ? null : this.sources[index]!);
        } finally {
          if (index !== null) this.using[index]!--;
        }
      },
      { throwOnTimeout: true },
    );
  }

  private lease(family: 4 | 6): number | null {
    let best: number | null = null;
    for (const [index, source] of this.sources.entries()) {
      if ((isIPv6(source.address) ? 6 : 4) !== family) continue;
      if (best === null || this.using[index]! < this.using[best]!) best = index;
    }
    if (best !== null) this.using[best]!++;
    return best;
  }

  private static checked(processes: number): number {
    if (!Number.isInteger(processes) || processes < 1) {
      throw new RangeError(`NmapSlots: processes must be a positive integer, got ${processes}`);
    }
    return processes;
  }
}
