/**
 * From raw IPv4 or IPv6 bytes to the dataset's feature columns. Live capture and pcap
 * files both come through here, so a record means the same thing whatever
 * its source.
 */
import type { SynAckFeatures, SynFeatures } from '@osfp/dataset';
import { formatOptionLayout, formatQuirks, parseP0fPacket, TCP_ACK, TCP_SYN } from './p0f-packet.ts';
import { initialTtl, signatureText, windowExpression } from './p0f-signature.ts';

/** The probe's own SYN: its MSS drives SYN+ACK window expressions, as in p0f. */
export interface SynContext {
  mss: number | null;
  olayout: string;
}

interface Endpoints {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
}

export type SynAckExtraction =
  ({ ok: true } & Endpoints & { features: SynAckFeatures }) | { ok: false; reason: string };

export type SynDescription =
  ({ ok: true } & Endpoints & SynFeatures & { raw: SynContext }) | { ok: false; reason: string };

const hex = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/**
 * Features of a SYN-ACK (IP header onward). `syn` is the SYN it answers,
 * when known; without it the window expression cannot use the peer's MSS
 * (p0f itself only reports SYN-ACKs whose SYN it saw). Never throws.
 */
export function extractSynAck(ipPacket: Uint8Array, syn?: SynContext | null): SynAckExtraction {
  const parsed = parseP0fPacket(ipPacket);
  if (!parsed.ok) return parsed;
  const pk = parsed.packet;
  if (pk.tcpType !== (TCP_SYN | TCP_ACK)) return { ok: false, reason: 'not a SYN-ACK' };
  const synMss = syn?.mss ?? 0;
  const ittl = initialTtl(pk.ttl);
  const window = windowExpression(pk, synMss);
  const olayout = formatOptionLayout(pk.optLayout, pk.optEolPad);
  const quirks = formatQuirks(pk.quirks);
  const features: SynAckFeatures = {
    ip_version: pk.version,
    ip_ttl: pk.ttl,
    ip_ittl: ittl,
    ip_hops: ittl - pk.ttl,
    ip_df: pk.df,
    ip_id: pk.ipId,
    ip_tos: pk.tos >> 2,
    ip_ecn: pk.tos & 0x03,
    ip_olen: pk.ipOptLen,
    ip_flow: pk.flowLabel,
    ip_ext: pk.extensions === null ? null : pk.extensions.join(','),
    tcp_window: pk.win,
    tcp_mss: pk.mss,
    tcp_wscale: pk.wscale,
    tcp_sack_ok: pk.optLayout.includes(4),
    tcp_ts: pk.tsval !== null,
    tcp_tsval: pk.tsval,
    tcp_options: hex(pk.options),
    tcp_olayout: olayout,
    tcp_quirks: quirks,
    tcp_wsize: window,
    p0f_sig: signatureText(pk, window, olayout, quirks),
  };
  return { ok: true, src: pk.src, dst: pk.dst, srcPort: pk.srcPort, dstPort: pk.dstPort, features };
}

/** The columns recorded for the probe's own SYN (IP header onward). Never throws. */
export function describeSyn(ipPacket: Uint8Array): SynDescription {
  const parsed = parseP0fPacket(ipPacket);
  if (!parsed.ok) return parsed;
  const pk = parsed.packet;
  if (pk.tcpType !== TCP_SYN) return { ok: false, reason: 'not a SYN' };
  const olayout = formatOptionLayout(pk.optLayout, pk.optEolPad);
  return {
    ok: true,
    src: pk.src,
    dst: pk.dst,
    srcPort: pk.srcPort,
    dstPort: pk.dstPort,
    syn_olayout: olayout,
    syn_mss: pk.mss,
    raw: { mss: pk.mss, olayout },
  };
}
