/**
 * Feature records from a capture file: every SYN-ACK in it, described by the
 * same extractor as live capture, with the SYN it answers when the file has
 * it (then window expressions use that SYN's MSS, as p0f does).
 */
import { COLUMNS, type SynAckFeatures } from '@osfp/dataset';
import { readCapture } from './read-capture.ts';
import { describeSyn, extractSynAck, type SynContext } from '../signature/extract.ts';

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
  nonIp: number;
  synAcks: number;
  withSyn: number;
  /** SYN-ACK-looking packets the extractor refused, by reason. */
  rejected: Map<string, number>;
  linkTypes: Set<number>;
}

/** The feature columns, in schema order: the 'ip' and 'tcp' groups. */
export const FEATURE_COLUMNS = COLUMNS.filter((c) => c.group === 'ip' || c.group === 'tcp').map((c) => c.name) as Array<
  keyof SynAckFeatures
>;

/** Bound on remembered SYNs: beyond it the oldest are forgotten (their SYN-ACKs lose only the peer-MSS hint). */
const MAX_REMEMBERED_SYNS = 1_000_000;
const flowKey = (src: string, srcPort: number, dst: string, dstPort: number): string =>
  `${src}:${srcPort}>${dst}:${dstPort}`;

/**
 * Streams one record per SYN-ACK. `stats` is filled as the file is read.
 * Throws CaptureError (naming the file) when the file cannot be read; the
 * records before a truncation are yielded first.
 */
export async function* featuresFromCapture(
  path: string,
  stats: CaptureFeatureStats = newStats(),
): AsyncGenerator<CaptureFeatureRecord> {
  const syns = new Map<string, SynContext>();
  for await (const pkt of readCapture(path)) {
    stats.packets++;
    stats.linkTypes.add(pkt.linkType);
    if (!pkt.ipPacket) {
      stats.nonIp++;
      continue;
    }
    const syn = isBareSyn(pkt.ipPacket) ? describeSyn(pkt.ipPacket) : null;
    if (syn?.ok) {
      const key = flowKey(syn.src, syn.srcPort, syn.dst, syn.dstPort);
      syns.delete(key); // a new SYN on the same 4-tuple replaces the old one, as in p0f
      syns.set(key, syn.raw);
      if (syns.size > MAX_REMEMBERED_SYNS) syns.delete(syns.keys().next().value!);
      continue;
    }
    const reverseKey = synAckReverseKey(pkt.ipPacket);
    if (reverseKey === null) continue;
    stats.synAcks++;
    const context = syns.get(reverseKey) ?? null;
    const result = extractSynAck(pkt.ipPacket, context);
    if (!result.ok) {
      stats.rejected.set(result.reason, (stats.rejected.get(result.reason) ?? 0) + 1);
      continue;
    }
    if (context) stats.withSyn++;
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
  return { packets: 0, nonIp: 0, synAcks: 0, withSyn: 0, rejected: new Map(), linkTypes: new Set() };
}

/** SYN set, ACK not: worth a full parse as the probe's SYN. */
function isBareSyn(ip: Uint8Array): boolean {
  if (ip.length < 20) return false;
  const t = (ip[0]! & 0x0f) * 4;
  return ip.length >= t + 14 && (ip[t + 13]! & 0x12) === 0x02;
}

/**
 * For an IPv4 TCP segment with SYN and ACK set, the flow key of the SYN it
 * answers; null for anything else. A cheap look before the extractor, so that
 * malformed SYN-ACKs are counted as rejects while other traffic is skipped.
 */
function synAckReverseKey(ip: Uint8Array): string | null {
  if (ip.length < 20 || ip[0]! >> 4 !== 4 || ip[9] !== 6) return null;
  const t = (ip[0]! & 0x0f) * 4;
  if (ip.length < t + 14 || (ip[t + 13]! & 0x12) !== 0x12) return null;
  const src = `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
  const dst = `${ip[16]}.${ip[17]}.${ip[18]}.${ip[19]}`;
  return flowKey(dst, (ip[t + 2]! << 8) | ip[t + 3]!, src, (ip[t]! << 8) | ip[t + 1]!);
}
