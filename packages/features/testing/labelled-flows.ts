/**
 * A labelled capture made by real tools at test time: Scapy writes the
 * packets (test/fixtures/gen_labelled_flows.py), editcap adds the packet
 * comments that carry the labels. Shared by the import tests of this package
 * and the CLI's.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pythonWith } from '@osfp/test-support';

interface Direction {
  packets: number;
  bytes: number;
  iat: { mean: number | null; std: number | null; min: number | null; max: number | null };
}

/** What the generator says it wrote, flow by flow. */
export interface FixtureFlow {
  server: string;
  port: number;
  label: string | null;
  comments: [number, string][];
  to_server: Direction;
  from_server: Direction;
  duration_ms: number;
  rtt_ms: number | null;
  ttl: number;
  window: number;
}

const GENERATOR = new URL('../test/fixtures/gen_labelled_flows.py', import.meta.url).pathname;

/** Writes `flows.pcap` and its commented copy `flows.pcapng` into `dir`; needs Scapy and editcap. */
export function makeLabelledFlowsCapture(dir: string): { capture: string; flows: FixtureFlow[] } {
  const pcap = join(dir, 'flows.pcap');
  const python = pythonWith('scapy') ?? 'python3';
  const flows = (JSON.parse(execFileSync(python, [GENERATOR, pcap], { encoding: 'utf8' })) as { flows: FixtureFlow[] })
    .flows;
  const capture = join(dir, 'flows.pcapng');
  const comments = flows.flatMap((f) => f.comments.flatMap(([frame, text]) => ['-a', `${frame}:${text}`]));
  execFileSync('editcap', ['-F', 'pcapng', ...comments, pcap, capture]);
  return { capture, flows };
}
