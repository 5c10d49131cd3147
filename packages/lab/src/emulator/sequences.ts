/**
 * The sequences a host exposes over time: TCP initial sequence numbers, IP
 * IDs and TCP timestamps, and what Nmap computes from them (SEQ's GCD, ISR,
 * SP, TI/CI/II, SS, TS).
 *
 * Nmap never sees a generator, only samples 100 ms apart and the times it
 * sent its probes. So the ISN generator is a clock (quanta of `gcd` at `rate`
 * per second) plus per-connection noise, and its parameters are *fitted* by
 * simulating Nmap's own arithmetic over jittered probe times until GCD, ISR
 * and SP land inside the fingerprint's ranges most of the time.
 */
import { matchesExpression, hex, numericIntervals, numericValues } from './expressions.ts';
import { seededRng, type Rng } from './random.ts';

// ---------------------------------------------------------------- Nmap's arithmetic

function modDiff(a: number, b: number): number {
  const d1 = (a - b) >>> 0;
  const d2 = (b - a) >>> 0;
  return Math.min(d1, d2);
}

function gcd2(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export interface SeqValues {
  gcd: number;
  isr: number;
  sp: number;
}

/** GCD, ISR and SP as Nmap derives them from ISNs and its probes' send times (seconds). */
export function nmapSeqValues(isns: readonly number[], sendTimes: readonly number[]): SeqValues | null {
  const n = isns.length;
  if (n < 4) return null;
  const diffs: number[] = [];
  const rates: number[] = [];
  let avg = 0;
  for (let i = 1; i < n; i++) {
    const d = modDiff(isns[i] ?? 0, isns[i - 1] ?? 0);
    let dt = Math.round(((sendTimes[i] ?? 0) - (sendTimes[i - 1] ?? 0)) * 1e6);
    if (dt <= 0) dt = 1;
    diffs.push(d);
    const r = (d * 1e6) / dt;
    rates.push(r);
    avg += r;
  }
  avg /= n - 1;
  let g = diffs[0] ?? 0;
  for (const d of diffs.slice(1)) g = gcd2(Math.max(g, d), Math.min(g, d));
  if (g === 0) return { gcd: 0, isr: 0, sp: 0 };
  const isr = Math.floor((Math.log(avg) / Math.log(2)) * 8 + 0.5);
  const div = g > 9 ? g : 1;
  let sd = 0;
  for (const r of rates) sd += (r / div - avg / div) ** 2;
  sd = Math.sqrt(sd / (n - 2));
  const sp = sd <= 1 ? 0 : Math.floor((Math.log(sd) / Math.log(2)) * 8 + 0.5);
  return { gcd: g, isr: Math.max(0, isr), sp };
}

export type IpIdClass = 'Z' | 'RD' | 'RI' | 'BI' | 'I' | 'constant' | 'unknown';

/** Nmap's IP ID classification of 16-bit samples (get_ipid_sequence_16 / identify_sequence). */
export function nmapIpIdClass(ids: readonly number[]): IpIdClass {
  if (ids.length < 2) return 'unknown';
  const diffs: number[] = [];
  let allZero = true;
  for (let i = 1; i < ids.length; i++) {
    const a = ids[i - 1] ?? 0;
    const b = ids[i] ?? 0;
    if (a !== 0 || b !== 0) allZero = false;
    const d = (b - a) >>> 0;
    if (ids.length > 2 && d > 20000) return 'RD';
    diffs.push(d & 0xffff);
  }
  if (allZero) return 'Z';
  if (diffs.every((d) => d === 0)) return 'constant';
  if (diffs.some((d) => d > 1000 && (d % 256 !== 0 || d >= 25600))) return 'RI';
  if (diffs.every((d) => d <= 5120 && d % 256 === 0)) return 'BI';
  if (diffs.every((d) => d % 2 === 0)) return 'I';
  if (diffs.every((d) => d <= 9)) return 'I';
  return 'unknown';
}

/** Nmap's TS class value from TSval samples and send times (seconds); 'U'/'0' are decided elsewhere. */
export function nmapTsValue(tsvals: readonly number[], sendTimes: readonly number[]): string | null {
  if (tsvals.length < 2) return null;
  let hz = 0;
  for (let i = 1; i < tsvals.length; i++) {
    const d = modDiff(tsvals[i] ?? 0, tsvals[i - 1] ?? 0);
    const dt = Math.max(1e-6, Math.round(((sendTimes[i] ?? 0) - (sendTimes[i - 1] ?? 0)) * 1e6) / 1e6);
    hz += d / dt / (tsvals.length - 1);
  }
  if (hz <= 0) return null;
  if (hz <= 5.66) return '1';
  if (hz > 70 && hz <= 150) return '7';
  if (hz > 150 && hz <= 350) return '8';
  return hex(Math.floor(0.5 + Math.log(hz) / Math.log(2)));
}

// ---------------------------------------------------------------- ISN generator

export type IsnModel =
  | { kind: 'constant' }
  /** Fully random 32-bit ISNs (what per-connection hashing looks like from outside). */
  | { kind: 'random' }
  /** base + quantum * (connections so far): a counter bumped per connection, whatever the time. */
  | { kind: 'step'; quantum: number }
  /** base + quantum * round(rate/quantum * t + noise): a clock ticking in quanta, with per-connection noise (in quanta). */
  | { kind: 'clock'; quantum: number; ticksPerSecond: number; noise: number };

export class IsnGenerator {
  private readonly base: number;
  private count = 0;
  constructor(
    readonly model: IsnModel,
    private readonly rng: Rng,
  ) {
    this.base = rng.int(0, 0xffffffff);
  }

  /** The ISN for a connection opened at `t` seconds (a monotonic clock). */
  next(t: number): number {
    const m = this.model;
    if (m.kind === 'constant') return this.base;
    if (m.kind === 'random') return this.rng.int(0, 0xffffffff);
    if (m.kind === 'step') return (this.base + ((m.quantum * this.count++) % 0x100000000)) >>> 0;
    // The noise alternates in sign from one connection to the next (with +-10 % of its own randomness):
    // Nmap's SP is a standard deviation over only five differences, which independent noise makes
    // wander by several points, out of the fingerprint's narrow ranges; alternating noise keeps it steady.
    const sign = this.count++ % 2 === 0 ? 1 : -1;
    const noise = m.noise > 0 ? sign * m.noise * (0.9 + 0.2 * this.rng.float()) : 0;
    const ticks = Math.round(m.ticksPerSecond * t + noise);
    return (this.base + ((m.quantum * ticks) % 0x100000000)) >>> 0;
  }
}

export interface SeqTargets {
  gcd: string;
  isr: string;
  sp: string;
}

/** Nmap's six SEQ probes: 100 ms apart plus scheduling jitter, as seen by us (we answer on arrival). */
function simulate(model: IsnModel, rng: Rng): SeqValues | null {
  const gen = new IsnGenerator(model, rng);
  const t0 = rng.float() * 1000;
  const send: number[] = [];
  const seen: number[] = [];
  let t = t0;
  for (let i = 0; i < 6; i++) {
    t += 0.1 + rng.float() * 0.004;
    send.push(t);
    // Our clock reads the arrival: the send time plus a one-way delay that varies a little.
    seen.push(t + 0.0005 + rng.float() * 0.005);
  }
  const isns = seen.map((s) => gen.next(s));
  return nmapSeqValues(isns, send);
}

export function seqMatches(v: SeqValues | null, targets: Partial<SeqTargets>): boolean {
  if (!v) return false;
  return (
    (targets.gcd === undefined || matchesExpression(hex(v.gcd), targets.gcd)) &&
    (targets.isr === undefined || matchesExpression(hex(v.isr), targets.isr)) &&
    (targets.sp === undefined || matchesExpression(hex(v.sp), targets.sp))
  );
}

function hitRate(model: IsnModel, targets: Partial<SeqTargets>, trials: number, seed: number): number {
  const rng = seededRng(seed);
  let hits = 0;
  for (let i = 0; i < trials; i++) if (seqMatches(simulate(model, rng), targets)) hits++;
  return hits / trials;
}

function middle(intervals: [number, number][], rng: Rng): number | null {
  if (intervals.length === 0) return null;
  const [low, high] = rng.pick(intervals);
  // Away from the edges: measured values wander by a point or two.
  const margin = (high - low) / 4;
  return low + margin + rng.float() * (high - low - 2 * margin);
}

/**
 * The ISN model whose simulated Nmap readings fall inside `targets` most
 * often, with its hit rate. Candidates: constant (GCD 0), random, and clocks
 * whose quantum is an allowed GCD, whose rate aims at an ISR inside the range
 * and whose noise aims at an SP inside the range (a small grid around the
 * analytic guess, because scheduling jitter adds its own spread).
 */
export function fitIsnModel(
  targets: Partial<SeqTargets>,
  seed: number,
  trials = 80,
): { model: IsnModel; hitRate: number } {
  const rng = seededRng(seed);
  const candidates: IsnModel[] = [{ kind: 'random' }];
  const gcds = targets.gcd === undefined ? [1] : (numericValues(targets.gcd, 64) ?? [1]);
  if (gcds.includes(0)) candidates.push({ kind: 'constant' });
  const quanta = [...new Set(gcds.filter((g) => g > 0))].sort((a, b) => a - b).slice(0, 3);
  if (quanta.length === 0) quanta.push(1);
  for (const q of quanta) if (q > 9) candidates.push({ kind: 'step', quantum: q });
  const isrIntervals = targets.isr === undefined ? [[0x80, 0x90] as [number, number]] : numericIntervals(targets.isr);
  const spIntervals = targets.sp === undefined ? [[0, 8] as [number, number]] : numericIntervals(targets.sp);
  for (let k = 0; k < 3; k++) {
    const isr = middle(isrIntervals, rng);
    const sp = middle(spIntervals, rng);
    if (isr === null || sp === null) continue;
    const rate = 2 ** (isr / 8);
    const spread = sp <= 0 ? 0 : 2 ** (sp / 8);
    for (const q of quanta) {
      const ticksPerSecond = rate / q;
      // Alternating noise of size a gives a rate spread sd ≈ 1.1 * 2a / 0.1 s, in quanta when the
      // GCD divides (q > 9) and in units otherwise.
      const unit = q > 9 ? 1 : q;
      const guess = (spread * 0.1) / 2.2 / unit;
      for (const f of [0, 0.6, 0.8, 0.9, 1, 1.1, 1.25, 1.5]) {
        candidates.push({ kind: 'clock', quantum: q, ticksPerSecond, noise: guess * f });
      }
    }
  }
  let best: { model: IsnModel; hitRate: number } = { model: { kind: 'random' }, hitRate: -1 };
  for (const [i, model] of candidates.entries()) {
    const rate = hitRate(model, targets, trials, seed + i);
    if (rate > best.hitRate) best = { model, hitRate: rate };
    if (rate === 1) break;
  }
  return best;
}

// ---------------------------------------------------------------- IP ID

export type IpIdSpec = { kind: 'Z' | 'RD' | 'RI' | 'BI' | 'I' } | { kind: 'constant'; value: number };

export function parseIpIdValue(value: string): IpIdSpec {
  if (value === 'Z' || value === 'RD' || value === 'RI' || value === 'BI' || value === 'I') return { kind: value };
  if (/^[0-9A-F]+$/.test(value)) return { kind: 'constant', value: parseInt(value, 16) & 0xffff };
  return { kind: 'I' };
}

/**
 * One IP ID counter. Incrementing counters restart low after a quiet spell
 * when they near the top: a 16-bit wrap inside one Nmap run would read as RD.
 */
export class IpIdCounter {
  private value: number;
  private lastAt = -Infinity;
  constructor(
    readonly spec: IpIdSpec,
    private readonly rng: Rng,
  ) {
    this.value = rng.int(1, 30000);
  }

  next(t: number): number {
    const s = this.spec;
    switch (s.kind) {
      case 'Z':
        return 0;
      case 'constant':
        return s.value;
      case 'RD': {
        // Anything but [prev, prev + 20000]: Nmap sees a jump over 20000 (or backwards) at once.
        this.value = (this.value + 20001 + this.rng.int(0, 65535 - 20002)) & 0xffff;
        return this.value;
      }
      default: {
        if (this.value > 40000 && t - this.lastAt > 0.5) this.value = this.rng.int(1, 10000);
        this.lastAt = t;
        const step =
          s.kind === 'I'
            ? 1
            : s.kind === 'BI'
              ? 256 * this.rng.int(1, 4)
              : 1001 + this.rng.int(0, 1500) * 2 + (this.rng.int(0, 1) ? 1 : 0);
        const stepNot256 = s.kind === 'RI' && step % 256 === 0 ? step + 1 : step;
        this.value = (this.value + stepNot256) & 0xffff;
        if (this.value === 0) this.value = 1;
        return this.value;
      }
    }
  }
}

// ---------------------------------------------------------------- TCP timestamps

/** TSval clock: `hz` ticks per second from a per-host origin; 0 means TSval 0; null means no timestamps. */
export function tsHzFor(value: string): number | null {
  if (value === 'U') return null;
  if (value === '0') return 0;
  if (!/^[0-9A-F]+$/.test(value)) return 100;
  const v = parseInt(value, 16);
  if (v === 1) return 3; // 1-2 ticks in Nmap's 0.5 s: reads 2-4 Hz, inside "<= 5.66"
  if (v === 7) return 100;
  if (v === 8) return 200;
  return 2 ** v;
}

export class TsClock {
  private readonly origin: number;
  constructor(
    readonly hz: number,
    rng: Rng,
  ) {
    // A few hours to a few days of uptime, so the value is nonzero and plausible.
    this.origin = rng.int(3600, 3 * 86400);
  }

  value(t: number): number {
    if (this.hz === 0) return 0;
    const v = Math.floor(((this.origin + t) * this.hz) % 0x100000000) >>> 0;
    return v === 0 ? 1 : v;
  }
}
