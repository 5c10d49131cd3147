import { labelHosts } from '@osfp/labeler';
import { createProber } from '../probe/index.ts';
import type { StageBodies } from './stage-bodies.ts';

/**
 * The production stage bodies: the collector's raw-socket prober and Nmap
 * through @osfp/labeler. A prober (with its sniffer process) is created only
 * when a probe job arrives, so a label-only worker never opens a raw socket.
 */
export function realStageBodies(): StageBodies {
  return {
    createProber: (options) => createProber({ ...options }),
    labelHosts: (targets, options) => labelHosts(targets, options),
  };
}
