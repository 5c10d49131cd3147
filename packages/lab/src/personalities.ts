/**
 * The lab's target personalities: how each namespace's TCP/IP stack is tuned so
 * that its SYN-ACK looks like a different kind of operating system.
 *
 * Every personality runs on the one Linux kernel of this machine; only knobs
 * that are per network namespace (sysctls under net.ipv4) or per route (metrics
 * on the route back to the scanner) are available. That fixes what can differ:
 * initial TTL, timestamps, window scaling, SACK, MSS and the initial window.
 * The TCP option ORDER is always Linux's (mss,sok,ts,nop,ws), which is why Nmap
 * still recognises the kernel underneath (see the README for what it says).
 */

export interface StackSettings {
  /** net.ipv4.ip_default_ttl */
  readonly ttl: number;
  /** net.ipv4.tcp_timestamps */
  readonly timestamps: boolean;
  /** net.ipv4.tcp_window_scaling */
  readonly windowScaling: boolean;
  /** net.ipv4.tcp_sack */
  readonly sack: boolean;
  /** Route metric `advmss`: the MSS this host announces. */
  readonly advmss: number;
  /**
   * Route metric `window` (the receive-window clamp). Linux derives the
   * announced window scale from min(max(tcp_rmem[2], net.core.rmem_max), clamp),
   * and net.core.rmem_max is global to the machine, so a clamp just under
   * 2^(15 + wscale + 1) is the only per-namespace way to pin the scale.
   */
  readonly windowClamp: number | null;
  /** Route metric `initrwnd`, in segments: caps the SYN-ACK's window at initrwnd * mss. */
  readonly initrwnd: number | null;
}

export interface PersonalityExpectation {
  ittl: number;
  timestamps: boolean;
  /** Announced window scale, or null when the SYN-ACK carries no WS option. */
  wscale: number | null;
  sack: boolean;
  mss: number;
  /** The SYN-ACK's TCP window field, when the personality pins it. */
  window?: number;
  /**
   * Whether the SYN-ACK's IP header has DF set. Always true here: this kernel
   * sets DF (and IP ID 0) on SYN-ACKs even with ip_no_pmtu_disc=1 or a locked
   * route MTU (measured), so DF cannot tell personalities apart.
   */
  df?: boolean;
}

export interface PersonalityDefinition {
  readonly name: string;
  /** What real systems this imitates, for the README and the Server header. */
  readonly imitates: string;
  readonly stack: StackSettings;
  readonly expect: PersonalityExpectation;
}

/** Linux's SYN-ACK window: the 64 KiB initial buffer rounded down to whole segments. */
function linuxInitialWindow(mss: number, timestamps: boolean): number {
  const segment = timestamps ? mss - 12 : mss;
  return Math.floor(65535 / segment) * segment;
}

/** Window clamp that yields exactly `wscale` (see StackSettings.windowClamp). */
function clampFor(wscale: number): number {
  return 2 ** (15 + wscale + 1) - 1;
}

export const PERSONALITIES: readonly PersonalityDefinition[] = [
  {
    name: 'linux',
    imitates: 'a stock Linux server',
    stack: {
      ttl: 64,
      timestamps: true,
      windowScaling: true,
      sack: true,
      advmss: 1460,
      windowClamp: clampFor(7),
      initrwnd: null,
    },
    expect: {
      ittl: 64,
      timestamps: true,
      wscale: 7,
      sack: true,
      mss: 1460,
      window: linuxInitialWindow(1460, true),
      df: true,
    },
  },
  {
    name: 'windows',
    imitates: 'Windows Server (TTL 128, no timestamps, window scale 8)',
    stack: {
      ttl: 128,
      timestamps: false,
      windowScaling: true,
      sack: true,
      advmss: 1460,
      windowClamp: clampFor(8),
      initrwnd: null,
    },
    expect: {
      ittl: 128,
      timestamps: false,
      wscale: 8,
      sack: true,
      mss: 1460,
      window: linuxInitialWindow(1460, false),
      df: true,
    },
  },
  {
    name: 'bsd',
    imitates: 'a FreeBSD-like host (timestamps, window scale 6, smaller MSS and window)',
    stack: {
      ttl: 64,
      timestamps: true,
      windowScaling: true,
      sack: true,
      advmss: 1440,
      windowClamp: clampFor(6),
      initrwnd: 20,
    },
    expect: { ittl: 64, timestamps: true, wscale: 6, sack: true, mss: 1440, window: 20 * (1440 - 12), df: true },
  },
  {
    name: 'embedded',
    imitates: 'a small embedded stack (TTL 255, MSS 536, no options, 4-segment window)',
    stack: {
      ttl: 255,
      timestamps: false,
      windowScaling: false,
      sack: false,
      advmss: 536,
      windowClamp: null,
      initrwnd: 4,
    },
    expect: { ittl: 255, timestamps: false, wscale: null, sack: false, mss: 536, window: 4 * 536, df: true },
  },
];

/** The sysctls (name, value) that give a namespace this stack. */
export function stackSysctls(stack: StackSettings): [string, string][] {
  return [
    ['net.ipv4.ip_default_ttl', String(stack.ttl)],
    // Its IPv6 hop limit (the IPv4 tcp_* settings below govern TCP over IPv6 too).
    ['net.ipv6.conf.all.hop_limit', String(stack.ttl)],
    ['net.ipv6.conf.default.hop_limit', String(stack.ttl)],
    ['net.ipv4.tcp_timestamps', stack.timestamps ? '1' : '0'],
    ['net.ipv4.tcp_window_scaling', stack.windowScaling ? '1' : '0'],
    ['net.ipv4.tcp_sack', stack.sack ? '1' : '0'],
    // The clamp (not this) pins the window scale, but a buffer at least as large
    // keeps the kernel from picking a smaller scale than the clamp allows.
    ['net.ipv4.tcp_rmem', `4096 131072 ${stack.windowClamp === null ? 6291456 : stack.windowClamp + 1}`],
  ];
}

/** Route metrics (for `ip route add ...`) on the route back to the scanners. */
export function stackRouteMetrics(stack: StackSettings): string[] {
  const metrics = ['advmss', String(stack.advmss)];
  if (stack.windowClamp !== null) metrics.push('window', String(stack.windowClamp));
  if (stack.initrwnd !== null) metrics.push('initrwnd', String(stack.initrwnd));
  return metrics;
}
