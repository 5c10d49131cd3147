/**
 * Path conditions, since this kernel has no netem: one-way delay (fixed,
 * uniform, or long-tailed lognormal by its median) with per-frame jitter,
 * random loss each way, duplication, reordering, and per-host firewalls and
 * SYN cookies. What a host gets is drawn once from a seed of its address
 * (`hostPath(spec, pathSeed(ip))`), so the emulator, the path bridge in front
 * of a kernel personality and the ground truth all agree on it. A
 * `DelayLine` holds frames until their time and is independent of what the
 * frames are, so the path bridge reuses it.
 */
import FlatQueue from 'flatqueue';
import { hashSeed, seededRng, type Rng } from './random.ts';

export type Distribution =
  | { kind: 'fixed'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  /** exp(N(ln median, sigma)), clamped to [minMs, maxMs]: most values near the median, a long tail above it. */
  | { kind: 'lognormal'; medianMs: number; sigma: number; minMs?: number; maxMs?: number };

export interface PathSpec {
  /** Per-host base one-way delay, drawn once per host (seeded). */
  delay?: Distribution;
  /** Per-host round-trip time instead (each way gets half): what profiles speak in. Wins over `delay`. */
  rtt?: Distribution;
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
  /**
   * Hosts behind a firewall that lets only `openPorts` through (TCP); other
   * TCP ports, UDP and ICMP are dropped silently. `true`: every host; a
   * number: that share of the hosts (drawn per host).
   */
  firewalled?: boolean | number;
  /** The TCP ports a firewalled host still answers on (default 80 and 443: what the probe and Nmap's open port use). */
  openPorts?: number[];
  /** Share of hosts that answer every SYN with a SYN cookie (emulated OSes; a kernel personality's is per namespace). */
  synCookies?: number;
}

export const DEFAULT_OPEN_PORTS: readonly number[] = [80, 443];

export function drawMs(d: Distribution | undefined, rng: Rng): number {
  if (!d) return 0;
  switch (d.kind) {
    case 'fixed':
      return d.ms;
    case 'uniform':
      return d.minMs + rng.float() * (d.maxMs - d.minMs);
    case 'lognormal': {
      const v = d.medianMs * Math.exp(d.sigma * rng.normal());
      return Math.max(d.minMs ?? 0, Math.min(v, d.maxMs ?? d.medianMs * 50));
    }
  }
}

/** True when the spec delays, drops, duplicates or reorders nothing (firewalls and cookies need no delay line). */
export function isIdlePath(spec: PathSpec | undefined): boolean {
  return (
    !spec ||
    (!spec.delay && !spec.rtt && !spec.jitter && !spec.lossIn && !spec.lossOut && !spec.duplicate && !spec.reorder)
  );
}

/** The seed of a host's path: its address alone, so every process that meets the host draws the same conditions. */
export function pathSeed(ip: number): number {
  return hashSeed('osfp-path', ip >>> 0);
}

/** What one host's path is, drawn once: the round trip before jitter, and whether it is firewalled or uses SYN cookies. */
export interface HostConditions {
  rttMs: number;
  firewalled: boolean;
  synCookies: boolean;
}

/**
 * The conditions of one host's path: its base delay, firewall and SYN
 * cookies are fixed at creation (drawn in that order from its seed), the
 * rest is drawn per frame.
 */
export class HostPath {
  readonly baseMs: number;
  readonly firewalled: boolean;
  readonly synCookies: boolean;
  private readonly openPorts: readonly number[];
  constructor(
    readonly spec: PathSpec,
    private readonly rng: Rng,
  ) {
    this.baseMs = spec.rtt ? drawMs(spec.rtt, rng) / 2 : drawMs(spec.delay, rng);
    // Always drawn, so adding a firewall to a spec leaves every host's other draws as they were.
    const fw = rng.float();
    const cookie = rng.float();
    this.firewalled = spec.firewalled === true || (typeof spec.firewalled === 'number' && fw < spec.firewalled);
    this.synCookies = spec.synCookies !== undefined && cookie < spec.synCookies;
    this.openPorts = spec.openPorts ?? DEFAULT_OPEN_PORTS;
  }

  get conditions(): HostConditions {
    return { rttMs: 2 * this.baseMs, firewalled: this.firewalled, synCookies: this.synCookies };
  }

  /**
   * Whether the firewall in front of this host lets a packet through:
   * `port` is the host's own TCP port (destination inbound, source
   * outbound), null for anything that is not TCP.
   */
  passes(port: number | null): boolean {
    return !this.firewalled || (port !== null && this.openPorts.includes(port));
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

/** What `spec` gives the host at `ip` (the same draw the emulator and the path bridge make). */
export function hostConditions(spec: PathSpec, ip: number): HostConditions {
  return hostPath(spec, pathSeed(ip)).conditions;
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
