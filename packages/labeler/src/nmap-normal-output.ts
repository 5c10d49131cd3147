/**
 * Nmap's normal output (-oN), read for what its XML leaves out: the warning
 * that a host's OS scan may be unreliable, and "too many fingerprints match"
 * (in XML that host simply has no osmatch, like one that matched nothing).
 * Nmap writes a host's block when the host is done, starting with "Nmap scan
 * report for"; output cut short keeps the blocks written before.
 */

export interface NormalOutputSignals {
  /** "Warning: OSScan results may be unreliable because we could not find at least 1 open and 1 closed port". */
  readonly unreliable: boolean;
  /** "Too many fingerprints match this host to give specific OS details". */
  readonly tooManyMatches: boolean;
}

const REPORT = /^Nmap scan report for (.+)$/;

/** Address -> what Nmap said about it. Hosts named by Nmap ("name (1.2.3.4)") are keyed by their address. */
export function parseNormalOutput(text: string): Map<string, NormalOutputSignals> {
  const signals = new Map<string, NormalOutputSignals>();
  let ip: string | null = null;
  let unreliable = false;
  let tooManyMatches = false;
  const flush = () => {
    if (ip !== null) signals.set(ip, { unreliable, tooManyMatches });
  };
  for (const line of text.split('\n')) {
    const report = REPORT.exec(line.trimEnd());
    if (report) {
      flush();
      const target = report[1]!;
      ip = /\(([^()]+)\)$/.exec(target)?.[1] ?? target;
      unreliable = false;
      tooManyMatches = false;
    } else if (line.startsWith('Warning: OSScan results may be unreliable')) {
      unreliable = true;
    } else if (line.startsWith('Too many fingerprints match this host')) {
      tooManyMatches = true;
    }
  }
  flush();
  return signals;
}
