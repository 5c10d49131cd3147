/**
 * The few IPv4/TCP header fields flow accounting needs. The full p0f-grade
 * parse is the features extractor's job and runs only on SYNs and SYN-ACKs.
 */
export interface TcpSegment {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  /** IP total length from the header (what was on the wire, even if the capture cut it). */
  ipBytes: number;
  syn: boolean;
  ack: boolean;
}

/** Null for anything but an IPv4 TCP segment with a complete TCP header start. */
export function tcpSegmentOf(ip: Uint8Array): TcpSegment | null {
  if (ip.length < 20 || ip[0]! >> 4 !== 4 || ip[9] !== 6) return null;
  const ihl = (ip[0]! & 0x0f) * 4;
  if (ihl < 20 || ip.length < ihl + 14) return null;
  const flags = ip[ihl + 13]!;
  return {
    src: `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`,
    dst: `${ip[16]}.${ip[17]}.${ip[18]}.${ip[19]}`,
    srcPort: (ip[ihl]! << 8) | ip[ihl + 1]!,
    dstPort: (ip[ihl + 2]! << 8) | ip[ihl + 3]!,
    ipBytes: (ip[2]! << 8) | ip[3]!,
    syn: (flags & 0x02) !== 0,
    ack: (flags & 0x10) !== 0,
  };
}
