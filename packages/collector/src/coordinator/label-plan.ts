import { createHash } from 'node:crypto';
import type { LabelFields } from '@osfp/dataset';
import type { LabelPolicy } from '../config/collect-options.ts';
import type { IndexedHost } from './target-index.ts';

/**
 * Which responsive hosts go to Nmap: `--label all|none|sample:F`, minus those
 * whose recent label the dataset already has (--label-max-age: the target
 * index gives each host the label it may reuse). Sampling hashes the run id
 * and address, so a resumed run samples the same hosts.
 */
export class LabelPlan {
  constructor(
    private readonly runId: string,
    private readonly policy: LabelPolicy,
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
  scan(host: Pick<IndexedHost, 'ip' | 'reusableLabel'>): boolean {
    return this.wanted(host.ip) && host.reusableLabel === null;
  }

  /** A reused label counts only when the policy wants the host labelled. */
  reusedFor(host: Pick<IndexedHost, 'ip' | 'reusableLabel'>): LabelFields | undefined {
    return this.wanted(host.ip) ? (host.reusableLabel ?? undefined) : undefined;
  }
}
