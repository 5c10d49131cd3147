import { createHash } from 'node:crypto';
import type { LabelFields } from '@osfp/dataset';
import type { LabelPolicy } from '../config/collect-options.ts';

/**
 * Which responsive hosts go to Nmap: `--label all|none|sample:F`, minus those
 * whose label a recent run of the dataset already has (--label-max-age).
 * Sampling hashes the run id and address, so a resumed run samples the same hosts.
 */
export class LabelPlan {
  constructor(
    private readonly runId: string,
    private readonly policy: LabelPolicy,
    readonly reused: ReadonlyMap<string, LabelFields>,
  ) {}

  /** The policy wants this host labelled (fresh or reused). */
  wanted(ip: string): boolean {
    switch (this.policy.mode) {
      case 'all':
        return true;
      case 'none':
        return false;
      case 'sample': {
        const h = createHash('sha256').update(`${this.runId}/${ip}`).digest().readUInt32BE(0);
        return h / 2 ** 32 < this.policy.fraction;
      }
    }
  }

  /** Nmap runs for this host in this run. */
  scan(ip: string): boolean {
    return this.wanted(ip) && !this.reused.has(ip);
  }

  /** A reused label counts only when the policy wants the host labelled. */
  reusedFor(ip: string): LabelFields | undefined {
    return this.wanted(ip) ? this.reused.get(ip) : undefined;
  }
}
