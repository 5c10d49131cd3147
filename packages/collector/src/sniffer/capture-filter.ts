/**
 * The kernel-side filter of the libpcap capture (pcap-filter(7), compiled by
 * libpcap to classic BPF and attached to the packet socket): of all the
 * scanner's traffic only two packets per probe reach userspace - the
 * SYN-ACK addressed to one of our local (ephemeral) ports, and our own SYN
 * sent from one. Everything else (the HTTP exchange, ACKs, FINs, other
 * processes' traffic) is dropped before it is copied.
 *
 * No `inbound`/`outbound` qualifier: on loopback Linux shows each packet once,
 * as received, so direction would hide our SYN there; the ports say enough.
 *
 * IPv6: libpcap's `tcp[...]` does not apply to IPv6, so the flags are read at
 * a fixed offset (40 + 13) when TCP follows the fixed header, and behind one
 * hop-by-hop or destination-options header (the only ones a SYN-ACK from a
 * server plausibly carries). Deeper chains are not captured live; `osfp
 * features` reads them from files. `protochain` would walk any chain but
 * compiles to backward jumps, which the kernel's BPF checker refuses - libpcap
 * would then filter in userspace, the very cost this filter removes.
 */

/** The local port range the kernel picks connect() ports from (net.ipv4.ip_local_port_range, used for IPv6 too). */
export interface PortRange {
  readonly low: number;
  readonly high: number;
}

const SYNACK = 0x12;
const SYN = 0x02;
/** SYN | ACK | RST: a SYN-ACK has SYN and ACK, a bare SYN only SYN, and neither has RST. */
const MASK = 0x16;

export function captureFilter(ports: PortRange): string {
  const range = `${ports.low}-${ports.high}`;
  const v6flags = (value: number) =>
    `(ip6[6] == 6 and ip6[53] & ${MASK} == ${value})` +
    ` or ((ip6[6] == 0 or ip6[6] == 60) and ip6[40] == 6 and ip6[40 + (ip6[41] + 1) * 8 + 13] & ${MASK} == ${value})`;
  const v6ports = (direction: 'dst' | 'src') => {
    const at = direction === 'dst' ? 2 : 0;
    return (
      `(ip6[6] == 6 and ip6[${40 + at}:2] >= ${ports.low} and ip6[${40 + at}:2] <= ${ports.high})` +
      ` or (ip6[6] != 6 and ip6[40 + (ip6[41] + 1) * 8 + ${at}:2] >= ${ports.low}` +
      ` and ip6[40 + (ip6[41] + 1) * 8 + ${at}:2] <= ${ports.high})`
    );
  };
  const synAcks = `(ip and tcp[13] & ${MASK} == ${SYNACK} and tcp dst portrange ${range}) or (ip6 and (${v6flags(SYNACK)}) and (${v6ports('dst')}))`;
  const syns = `(ip and tcp[13] & ${MASK} == ${SYN} and tcp src portrange ${range}) or (ip6 and (${v6flags(SYN)}) and (${v6ports('src')}))`;
  return `${synAcks} or ${syns}`;
}

/** Reads the namespace's ephemeral port range; Linux's default when it cannot. */
export async function localPortRange(read: (path: string) => Promise<string>): Promise<PortRange> {
  try {
    const [low, high] = (await read('/proc/sys/net/ipv4/ip_local_port_range')).trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low! > 0 && high! >= low!) return { low: low!, high: high! };
  } catch {
    // fall through
  }
  return { low: 32768, high: 60999 };
}
