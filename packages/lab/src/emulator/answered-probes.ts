/**
 * Which probes a host has already answered, so a retransmission of one is
 * not answered a second time.
 *
 * Nmap keeps only the first answer to each OS-detection probe, so a second
 * answer never changes a fingerprint; but every answer lands in Nmap's
 * capture buffer, and Nmap reads that buffer slowly: once one of its waits
 * has timed out, Nmap 7.93 reads a single packet per send cycle for the rest
 * of the phase (osscan2.cc never resets its `timedout` flag). On a loaded
 * machine a process that misses a few scheduling slots falls behind its
 * buffer, its probes time out with their answers unread, and it resends all
 * of them, up to three times: each answer to a resent probe put it further
 * behind, and it ended scans with first answers still unread, recording
 * those tests as unanswered (T5-T7 R=N, CI missing or RI), which turned
 * Linux 4.4 into Linux 3.X. Measured in the lab (16 Nmap processes of 16
 * hosts, load 14): lagging processes 1-2.5 s behind their buffers, 100-200
 * of the 600-900 packets each read being answers to resent probes; with
 * this, the linux4 responder left 5,332 of 13,424 frames unanswered as
 * resent probes in one such run.
 *
 * An answer lost on the way (a lossy path dropped it) is not recorded, so
 * the retransmission still gets one, as from a real host.
 */

/** How long a probe stays answered: Nmap retransmits within one round, a few seconds at most. */
export const RETRANSMISSION_WINDOW_S = 10;

export class AnsweredProbes {
  /** Probe key -> when it was answered (seconds); insertion order is answer order. */
  private readonly answered = new Map<string, number>();

  constructor(
    private readonly windowS = RETRANSMISSION_WINDOW_S,
    private readonly capacity = 1 << 16,
  ) {}

  get size(): number {
    return this.answered.size;
  }

  /** True when `key` was answered less than the window ago: this copy is a retransmission. */
  has(key: string, now: number): boolean {
    const at = this.answered.get(key);
    return at !== undefined && now - at < this.windowS;
  }

  /** Records that `key` was answered at `now` (the answer went out). */
  add(key: string, now: number): void {
    this.answered.delete(key);
    this.answered.set(key, now);
    if (this.answered.size > this.capacity) {
      const oldest = this.answered.keys().next();
      if (!oldest.done) this.answered.delete(oldest.value);
    }
  }

  /** Forgets answers older than the window. */
  sweep(now: number): void {
    for (const [key, at] of this.answered) {
      if (now - at < this.windowS) break;
      this.answered.delete(key);
    }
  }
}
