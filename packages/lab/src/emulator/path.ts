/**
 * Path conditions, since this kernel has no netem: one-way delay (fixed,
 * uniform, or long-tailed lognormal by its median) with per-frame jitter,
 * random loss each way, duplication, reordering, and a `firewalled` flag the
 * responder reads. A `DelayLine` holds frames until their time and is
 * independent of what the frames are, so a bridge process can reuse it.
 */
import FlatQueue from 'flatqueue';
import { seededRng, type Rng } from './random.ts';

export type Distribution =
  | { kind: 'fixed'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  /** exp(N(ln median, sigma)): most values near the median, a long tail above it. */
  | { kind: 'lognormal'; medianMs: number; sigma: number; maxMs?: number };

export interface PathSpec {
  /** Per-host base one-way delay, drawn once per host (seeded). */
  delay?: Distribution;
  /** Per-frame extra delay on top of the base. */
  jitter?: Distribution;
  /** Probability a frame towards the host (in) or from it (out) is dropped. */
  lossIn?: number;
  lossOut?: number;
  /** Probability a frame is delivered twice. */
  duplicate?: number;
  /** Probability a frame is held back an extra `reorderMs` (default 10 ms) so later ones overtake it. */
  reorder?: number;
  reorderMs?: number;
  /** Only the HTTP port answers: other TCP ports, UDP and ICMP are dropped silently. */
  firewalled?: boolean;
}

export function drawMs(d: Distribution | undefined, rng: Rng): number {
  if (!d) return 0;
  switch (d.kind) {
    case 'fixed':
      return d.ms;
    case 'uniform':
      return d.minMs + rng.float() * (d.maxMs - d.minMs);
    case 'lognormal': {
      const v = d.medianMs * Math.exp(d.sigma * rng.normal());
      return Math.min(v, d.maxMs ?? d.medianMs * 50);
    }
  }
}

export function isIdlePath(spec: PathSpec | undefined): boolean {
  return !spec || (!spec.delay && !spec.jitter && !spec.lossIn && !spec.lossOut && !spec.duplicate && !spec.reorder);
}

/** The conditions of one host's path: its base delay is fixed at creation, the rest is drawn per frame. */
export class HostPath {
  readonly baseMs: number;
  constructor(
    readonly spec: PathSpec,
    private readonly rng: Rng,
  ) {
    this.baseMs = drawMs(spec.delay, rng);
  }

  /**
   * Delivery delays (ms) for one frame in direction `dir`: [] when it is lost,
   * two entries when duplicated.
   */
  schedule(dir: 'in' | 'out'): number[] {
    const loss = dir === 'in' ? this.spec.lossIn : this.spec.lossOut;
    if (loss && this.rng.float() < loss) return [];
    let ms = this.baseMs + drawMs(this.spec.jitter, this.rng);
    if (this.spec.reorder && this.rng.float() < this.spec.reorder) ms += this.spec.reorderMs ?? 10;
    const out = [ms];
    if (this.spec.duplicate && this.rng.float() < this.spec.duplicate) out.push(ms + 0.05);
    return out;
  }
}

export function hostPath(spec: PathSpec, seed: number): HostPath {
  return new HostPath(spec, seededRng(seed));
}

/**
 * Holds items until their due time and hands them to `deliver` in time order;
 * one timer for the earliest item, however many are waiting.
 */
export class DelayLine<T> {
  private readonly queue = new FlatQueue<number>();
  private readonly items = new Map<number, { item: T; due: number }>();
  private nextId = 0;
  private timer: NodeJS.Timeout | null = null;
  private timerDue = Infinity;

  constructor(
    private readonly deliver: (item: T) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.items.size;
  }

  push(item: T, delayMs: number): void {
    if (delayMs <= 0) {
      this.deliver(item);
      return;
    }
    const due = this.now() + delayMs;
    const id = this.nextId++;
    this.items.set(id, { item, due });
    this.queue.push(id, due);
    if (due < this.timerDue) this.arm(due);
  }

  private arm(due: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => this.flush(), Math.max(0, due - this.now()));
  }

  private flush(): void {
    this.timer = null;
    this.timerDue = Infinity;
    const now = this.now();
    while (this.queue.length > 0 && (this.queue.peekValue() ?? Infinity) <= now + 0.5) {
      const id = this.queue.pop() as number;
      const entry = this.items.get(id);
      this.items.delete(id);
      if (entry) this.deliver(entry.item);
    }
    const next = this.queue.peekValue();
    if (next !== undefined) this.arm(next);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.items.clear();
  }
}
