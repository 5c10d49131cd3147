/**
 * Link-layer framing of captured packets: where the IP packet starts for each
 * link type we read (tcpdump's LINKTYPE_* numbers, as stored in files).
 */
export const LINKTYPE = {
  NULL: 0, // BSD loopback: 4-byte address family in the writer's byte order
  ETHERNET: 1,
  RAW_LEGACY_12: 12, // DLT_RAW as some systems store it
  RAW_LEGACY_14: 14,
  RAW: 101, // raw IPv4/IPv6, no link header
  LOOP: 108, // OpenBSD loopback: family in network order
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const VLAN_TAGS = new Set([0x8100, 0x88a8, 0x9100]);

const isIpEthertype = (t: number): boolean => t === ETHERTYPE_IPV4 || t === ETHERTYPE_IPV6;
const be16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;

/** The link types readCapture understands. */
export function isSupportedLinkType(linkType: number): boolean {
  return (Object.values(LINKTYPE) as number[]).includes(linkType);
}

/**
 * The IP packet inside a captured frame, or null when the frame carries
 * something else (ARP, LLDP, ...) or is too short to tell.
 */
export function ipPacketOf(linkType: number, frame: Uint8Array): Uint8Array | null {
  switch (linkType) {
    case LINKTYPE.ETHERNET: {
      let at = 12;
      while (frame.length >= at + 2 && VLAN_TAGS.has(be16(frame, at))) at += 4;
      if (frame.length < at + 2 || !isIpEthertype(be16(frame, at))) return null;
      return frame.subarray(at + 2);
    }
    case LINKTYPE.LINUX_SLL:
      return frame.length >= 16 && isIpEthertype(be16(frame, 14)) ? frame.subarray(16) : null;
    case LINKTYPE.LINUX_SLL2:
      return frame.length >= 20 && isIpEthertype(be16(frame, 0)) ? frame.subarray(20) : null;
    case LINKTYPE.RAW:
    case LINKTYPE.RAW_LEGACY_12:
    case LINKTYPE.RAW_LEGACY_14:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6: {
      const version = frame.length > 0 ? frame[0]! >> 4 : 0;
      return version === 4 || version === 6 ? frame : null;
    }
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP: {
      if (frame.length < 4) return null;
      // The family's byte order is the writer's; the IP version nibble is not ambiguous.
      const version = frame.length > 4 ? frame[4]! >> 4 : 0;
      return version === 4 || version === 6 ? frame.subarray(4) : null;
    }
    default:
      return null;
  }
}
