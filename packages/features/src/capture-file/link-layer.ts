/**
 * Link-layer framing of captured packets: where the IP packet starts for each
 * link type we read (tcpdump's LINKTYPE_* numbers, as stored in files).
 */
export const LINKTYPE = {
  NULL: 0, // BSD loopback: 4-byte address family in the writer's byte order
  ETHERNET: 1,
  PPP: 9, // PPP in HDLC-like framing: [ff 03] protocol
  PPP_HDLC: 50, // PPP in HDLC-like framing on a serial line (DLT_PPP_SERIAL)
  C_HDLC: 104, // Cisco HDLC: address, control, Ethernet type
  IEEE802_11: 105, // 802.11 data frames, no radio header
  IEEE802_11_RADIOTAP: 127,
  RAW_LEGACY_12: 12, // DLT_RAW as some systems store it
  RAW_LEGACY_14: 14,
  RAW: 101, // raw IPv4/IPv6, no link header
  LOOP: 108, // OpenBSD loopback: family in network order
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  NFLOG: 239, // Linux netfilter log: family, version, resource id, TLVs (payload = the IP packet)
  LINUX_SLL2: 276,
} as const;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const VLAN_TAGS = new Set([0x8100, 0x88a8, 0x9100]);

const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;
const NFULA_PAYLOAD = 9;

const isIpEthertype = (t: number): boolean => t === ETHERTYPE_IPV4 || t === ETHERTYPE_IPV6;
const be16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const le16 = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8);
/** An IP packet starting at `at`, judged by its version nibble. */
const ipAt = (frame: Uint8Array, at: number): Uint8Array | null => {
  const version = frame.length > at ? frame[at]! >> 4 : 0;
  return version === 4 || version === 6 ? frame.subarray(at) : null;
};

/** PPP (RFC 1661/1662): optional ff 03, then a one- or two-byte protocol (odd first byte = compressed to one). */
function pppPayload(frame: Uint8Array): Uint8Array | null {
  let at = frame.length >= 2 && frame[0] === 0xff && frame[1] === 0x03 ? 2 : 0;
  if (frame.length <= at) return null;
  let protocol = frame[at]!;
  if (protocol & 1) at += 1;
  else {
    if (frame.length < at + 2) return null;
    protocol = be16(frame, at);
    at += 2;
  }
  return protocol === PPP_IPV4 || protocol === PPP_IPV6 ? frame.subarray(at) : null;
}

/** An 802.11 data frame (after any radio header): MAC header, then LLC/SNAP and an Ethernet type. */
function ieee80211Payload(frame: Uint8Array): Uint8Array | null {
  if (frame.length < 24) return null;
  const fc0 = frame[0]!;
  const fc1 = frame[1]!;
  // Data frames only (type 2), and never protected ones: their payload is ciphertext.
  if (((fc0 >> 2) & 0x3) !== 2 || fc1 & 0x40) return null;
  const subtype = fc0 >> 4;
  if (subtype & 0x4) return null; // null-data subtypes carry nothing
  let at = 24;
  if ((fc1 & 0x03) === 0x03) at += 6; // to-DS and from-DS: a fourth address
  if (subtype & 0x8) {
    at += 2; // QoS control
    if (fc1 & 0x80) at += 4; // +HTC
  }
  if (frame.length < at + 8 || frame[at] !== 0xaa || frame[at + 1] !== 0xaa || frame[at + 2] !== 0x03) return null;
  return isIpEthertype(be16(frame, at + 6)) ? frame.subarray(at + 8) : null;
}

/** NFLOG: 4-byte header, then TLVs (16-bit length and type in host order, values padded to 4 bytes). */
function nflogPayload(frame: Uint8Array): Uint8Array | null {
  let at = 4;
  while (frame.length >= at + 4) {
    const length = le16(frame, at);
    const type = le16(frame, at + 2) & 0x7fff;
    if (length < 4 || frame.length < at + length) return null;
    if (type === NFULA_PAYLOAD) return ipAt(frame.subarray(0, at + length), at + 4);
    at += (length + 3) & ~3;
  }
  return null;
}

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
    case LINKTYPE.PPP:
    case LINKTYPE.PPP_HDLC:
      return pppPayload(frame);
    case LINKTYPE.C_HDLC:
      return frame.length >= 4 && isIpEthertype(be16(frame, 2)) ? frame.subarray(4) : null;
    case LINKTYPE.IEEE802_11:
      return ieee80211Payload(frame);
    case LINKTYPE.IEEE802_11_RADIOTAP: {
      if (frame.length < 4) return null;
      const radioLength = le16(frame, 2);
      return frame.length > radioLength ? ieee80211Payload(frame.subarray(radioLength)) : null;
    }
    case LINKTYPE.NFLOG:
      return nflogPayload(frame);
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
