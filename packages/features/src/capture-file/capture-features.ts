/**
 * Feature records from a capture file: every IPv4 and IPv6 SYN-ACK in it,
 * described by the same extractor as live capture, with the SYN it answers
 * when the file has it (then window expressions use that SYN's MSS, as p0f
 * does).
 *
 * A SYN-ACK answers a SYN when it comes back on the same 4-tuple, acknowledges
 * that SYN (ack = SYN's sequence + 1) and arrives within SYN_ANSWER_WINDOW_MS
 * of it. Addresses and ports alone are not enough: in real captures ports are
 * reused, and a SYN-ACK long after an unrelated SYN on the same ports would
 * take that SYN's options.
 */
import { COLUMNS, type SynAckFeatures } from '@osfp/dataset';
import { readCapture } from './read-capture.ts';
import { isSupportedLinkType } from './link-layer.ts';
import { describeSyn, extractSynAck, type SynContext } from '../signature/extract.ts';
import { readSegmentHeader, locateTcp, TCP_ACK, TCP_SYN } from '../packet-header.ts';

export interface CaptureFeatureRecord {
  /** Capture time of the SYN-ACK. */
  ts: Date;
  /** 0-based index of the SYN-ACK among the file's packets. */
  packet: number;
  src_ip: string;
  src_port: number;
  dst_ip: string;
  dst_port: number;
  features: SynAckFeatures;
  /** The SYN this SYN-ACK answers, when the file holds it. */
  syn: SynContext | null;
  /** pcapng comments of the SYN-ACK packet. */
  comments: string[];
}

export interface CaptureFeatureStats {
  packets: number;
  synAcks: number;
  /** SYN-ACKs by IP version. */
  synAcksV4: number;
  synAcksV6: number;
  withSyn: number;
  /** SYN-ACKs reported without a SYN, by why: `no SYN in the file` or `SYN not answered by it` (other ack, or too far apart). */
  withoutSyn: Map<string, number>;
  /** SYN-ACK-looking packets the extractor refused, by reason. */
  rejected: Map<string, number>;
  /** Packets not looked at, by why (non-IP frames, unsupported link types, non-first fragments, not TCP, ...). */
  skipped: Map<string, number>;
  linkTypes: Set<number>;
}

/** The feature columns, in schema order: the 'ip' and 'tcp' groups. */
export const FEATURE_COLUMNS = COLUMNS.filter((c) => c.group === 'ip' || c.group === 'tcp').map((c) => c.name) as Array<
  keyof SynAckFeatures
>;

/** How long after its SYN a SYN-ACK may still answer it: p0f's default connection age limit (-t 30,...). */
export const SYN_ANSWER_WINDOW_MS = 30_000;
/** Bound on remembered SYNs: beyond it the oldest are forgotten (their SYN-ACKs lose only the peer-MSS hint). */
const MAX_REMEMBERED_SYNS = 1_000_000;
const flowKey = (src: string, srcPort: number, dst: string, dstPort: number): string =>
  `${src}|${srcPort}>${dst}|${dstPort}`;

interface RememberedSyn {
  readonly context: SynContext;
  readonly seq: number;
  readonly atMs: number;
}

const SKIP_REASONS = {
  'non-first-fragment': 'non-first IP fragments',
  'not-tcp': 'not TCP',
  truncated: 'IP/TCP headers cut short',
  'not-ip': 'not IP',
} as const;

const count = (map: Map<string, number>, key: string): void => {
  map.set(key, (map.get(key) ?? 0) + 1);
};

/**
 * Streams one record per SYN-ACK. `stats` is filled as the file is read.
 * Throws CaptureError (naming the file) when the file cannot be read; the
 * records before a truncation are yielded first.
 */
export async function* featuresFromCapture(
  path: string,
  stats: CaptureFeatureStats = newStats(),
): AsyncGenerator<CaptureFeatureRecord> {
  const syns = new Map<string, RememberedSyn>();
  for await (const pkt of readCapture(path)) {
    stats.packets++;
    stats.linkTypes.add(pkt.linkType);
    if (!pkt.ipPacket) {
      count(
        stats.skipped,
        isSupportedLinkType(pkt.linkType)
          ? 'frames that carry no IP packet'
          : `frames of unsupported link type ${pkt.linkType}`,
      );
      continue;
    }
    const location = locateTcp(pkt.ipPacket);
    if (!location.ok) {
      count(stats.skipped, SKIP_REASONS[location.reason]);
      continue;
    }
    const segment = readSegmentHeader(pkt.ipPacket)!;
    // As p0f sorts them; the extractor then refuses the nonsensical combinations (SYN+RST, SYN+FIN).
    const flags = segment.flags & (TCP_SYN | TCP_ACK);
    const timeMs = pkt.tsSeconds * 1000 + pkt.tsNanos / 1e6;
    if (flags === TCP_SYN) {
      const syn = describeSyn(pkt.ipPacket);
      if (syn.ok) {
        const key = flowKey(syn.src, syn.srcPort, syn.dst, syn.dstPort);
        const known = syns.get(key);
        // A retransmitted SYN keeps the first one's time; a new sequence number is a new connection.
        if (known && known.seq === segment.seq) continue;
        syns.delete(key);
        syns.set(key, { context: syn.raw, seq: segment.seq, atMs: timeMs });
        if (syns.size > MAX_REMEMBERED_SYNS) syns.delete(syns.keys().next().value!);
      }
      continue;
    }
    if (flags !== (TCP_SYN | TCP_ACK)) continue;
    stats.synAcks++;
    if (segment.version === 4) stats.synAcksV4++;
    else stats.synAcksV6++;
    const remembered = syns.get(flowKey(segment.dst, segment.dstPort, segment.src, segment.srcPort));
    const answers =
      remembered !== undefined &&
      segment.ack === (remembered.seq + 1) >>> 0 &&
      timeMs >= remembered.atMs &&
      timeMs - remembered.atMs <= SYN_ANSWER_WINDOW_MS;
    const context = answers ? remembered.context : null;
    const result = extractSynAck(pkt.ipPacket, context);
    if (!result.ok) {
      count(stats.rejected, result.reason);
      continue;
    }
    if (context) stats.withSyn++;
    else count(stats.withoutSyn, remembered ? 'SYN not answered by it' : 'no SYN in the file');
    yield {
      ts: pkt.ts,
      packet: pkt.index,
      src_ip: result.src,
      src_port: result.srcPort,
      dst_ip: result.dst,
      dst_port: result.dstPort,
      features: result.features,
      syn: context,
      comments: pkt.comments,
    };
  }
}

export function newStats(): CaptureFeatureStats {
  return {
    packets: 0,
    synAcks: 0,
    synAcksV4: 0,
    synAcksV6: 0,
    withSyn: 0,
    withoutSyn: new Map(),
    rejected: new Map(),
    skipped: new Map(),
    linkTypes: new Set(),
  };
}
