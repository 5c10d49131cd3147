/**
 * A cap on Nmap processes shared by several labelHosts calls at once. A
 * worker labels two batches at a time through one of these: a call's last
 * Nmap processes (its slowest hosts, then its retry pass) leave most of the
 * cap idle, and the other batch's Nmap processes fill it, while the machine
 * never runs more Nmap processes than the cap.
 */
import PQueue from 'p-queue';

export class NmapSlots {
  private readonly queue: PQueue;

  constructor(processes: number) {
    this.queue = new PQueue({ concurrency: NmapSlots.checked(processes) });
  }

  /** Nmap processes allowed at once; a change applies to the next process to start. */
  get processes(): number {
    return this.queue.concurrency;
  }

  set processes(processes: number) {
    this.queue.concurrency = NmapSlots.checked(processes);
  }

  /** Runs `work` (one Nmap process and its parsing) once a slot is free. */
  run<T>(work: () => Promise<T>): Promise<T> {
    return this.queue.add(work, { throwOnTimeout: true });
  }

  private static checked(processes: number): number {
    if (!Number.isInteger(processes) || processes < 1) {
      throw new RangeError(`NmapSlots: processes must be a positive integer, got ${processes}`);
    }
    return processes;
  }
}
