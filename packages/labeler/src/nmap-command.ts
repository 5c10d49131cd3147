/**
 * The Nmap command line for one batch. Throughput comes from giving Nmap
 * many hosts at once (one host group, scanned in parallel), asking for one OS
 * detection try, no DNS and no host discovery (the probe already proved the
 * host answers on its open port).
 */
import { DEFAULT_FALLBACK_CLOSED_PORT } from './batch-plan.ts';
import type { NmapBatch } from './batch-plan.ts';
import type { NmapSource } from './nmap-slots.ts';

export interface NmapTuning {
  /** Nmap timing template 0-5. */
  readonly timing: number;
  /** --max-os-tries: 1 keeps a slow host from costing a second round of probes. */
  readonly maxOsTries: number;
  /** --host-timeout: Nmap gives up on one host after this long (the rest of the batch goes on). */
  readonly hostTimeoutMs: number;
  /** --osscan-guess: print near matches even when conditions are not ideal (no closed port found). */
  readonly guess: boolean;
  /** Extra passes for hosts that answered but got no guess (labelHosts re-scans them in batches of their own). */
  readonly noGuessRetries: number;
  /** Closed port scanned for hosts given without one (null: none). */
  readonly fallbackClosedPort: number | null;
  /** Anything else, appended as-is (tuning experiments; never targets). */
  readonly extraArgs: readonly string[];
}

export const DEFAULT_TUNING: NmapTuning = {
  timing: 4,
  maxOsTries: 1,
  hostTimeoutMs: 180_000,
  guess: true,
  noGuessRetries: 1,
  fallbackClosedPort: DEFAULT_FALLBACK_CLOSED_PORT,
  extraArgs: [],
};

/**
 * argv for `nmap`; targets come on stdin (-iL -), one address a line. XML
 * goes to stdout; `normalOutput`, a file path, also gets Nmap's normal output,
 * which says things the XML does not (see nmap-normal-output.ts). `source`:
 * the local address this process sends from (see NmapSlots).
 */
export function nmapArgs(
  batch: NmapBatch,
  tuning: NmapTuning = DEFAULT_TUNING,
  normalOutput?: string,
  source?: NmapSource | null,
): string[] {
  return [
    ...(batch.family === 6 ? ['-6'] : []),
    '-O',
    ...(tuning.guess ? ['--osscan-guess'] : []),
    '--max-os-tries',
    String(tuning.maxOsTries),
    '-Pn',
    '-n',
    ...(source ? ['-S', source.address, '-e', source.interface] : []),
    `-T${tuning.timing}`,
    '-p',
    batch.portSpec,
    // One host group for the whole batch: Nmap then runs OS detection on all of it in parallel.
    '--min-hostgroup',
    String(batch.targets.length),
    '--host-timeout',
    `${Math.max(1, Math.round(tuning.hostTimeoutMs))}ms`,
    '--noninteractive',
    '-oX',
    '-',
    ...(normalOutput === undefined ? [] : ['-oN', normalOutput]),
    ...tuning.extraArgs,
    '-iL',
    '-',
  ];
}

export function nmapInput(batch: NmapBatch): string {
  return batch.targets.map((t) => `${t.ip}\n`).join('');
}
