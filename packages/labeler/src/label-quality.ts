/**
 * How much a label can be trusted, in Nmap's own terms: whether its OS scan
 * found a closed port, whether it warned that the scan may be unreliable,
 * whether too many fingerprints matched, and how many scans it took. These
 * become columns (users filter on them) and decide the `firewalled` status.
 */
import type { LabelFields } from '@osfp/dataset';
import type { NmapHostResult } from './nmap-result.ts';
import type { NormalOutputSignals } from './nmap-normal-output.ts';

export type LabelQuality = Pick<
  LabelFields,
  'nmap_closed_port' | 'nmap_unreliable' | 'nmap_too_many_matches' | 'nmap_tries'
>;

/**
 * The quality columns of one host: from its XML result, what Nmap's normal
 * output said about it (null when that output could not be read), and the
 * number of Nmap scans it was in. A host Nmap never reported on, or whose
 * OS detection never ran, has only its tries.
 */
export function labelQuality(
  host: NmapHostResult | undefined,
  said: NormalOutputSignals | undefined,
  tries: number,
): LabelQuality {
  if (!host?.osScanned) {
    return { nmap_closed_port: null, nmap_unreliable: null, nmap_too_many_matches: null, nmap_tries: tries };
  }
  const used = (state: string) => host.portsUsed.some((p) => p.proto === 'tcp' && p.state === state);
  const closed = used('closed');
  return {
    nmap_closed_port: closed,
    // Nmap's own rule for its warning (an open and a closed TCP port) when its words are not at hand.
    nmap_unreliable: said?.unreliable ?? !(closed && used('open')),
    nmap_too_many_matches: said?.tooManyMatches ?? null,
    nmap_tries: tries,
  };
}

/**
 * Too little to go on because the host filters: Nmap's OS detection ran, a
 * port it was given went unanswered (filtered), and no port answered closed,
 * so every closed-port, UDP and ICMP test was silent.
 */
export function looksFirewalled(host: NmapHostResult): boolean {
  return (
    host.osScanned &&
    host.ports.some((p) => p.proto === 'tcp' && p.state === 'filtered') &&
    !host.ports.some((p) => p.proto === 'tcp' && p.state === 'closed') &&
    !host.portsUsed.some((p) => p.proto === 'tcp' && p.state === 'closed')
  );
}
