/**
 * The lab's IPv6 side. Every IPv4 address of a dual-stack lab host has an IPv6
 * twin: the ULA prefix fd00:18::/96 followed by the IPv4 address's 32 bits
 * (198.19.0.5 <-> fd00:18::c613:5). So a lab name has an AAAA record exactly
 * when its address is a dual-stack host, both records name the same host,
 * and one plan (blocks, LAN, routes) serves both families.
 *
 * The prefix is a ULA (fd00::/8) that exists only inside the lab's
 * namespaces: no scanner has a route for anything else, IPv4 or IPv6.
 *
 * Dual-stack: the scanners, the kernel personalities and the hostile hosts.
 * IPv4 only: the emulated OSes (nmap-os-db has IPv4 fingerprints only, and
 * the responder speaks IPv4), the DNS server (AAAA records are served over
 * IPv4), and the hub's bridge, which forwards IPv6 frames without an address.
 */
import { run } from './netns.ts';
import { ipToNumber } from './plan.ts';

export const LAB_CIDR6 = 'fd00:18::/96';
const LAB6_PREFIX = 'fd00:18::';

/** The IPv6 twin of a lab IPv4 address. */
export function labIpv6(ipv4: string): string {
  const n = ipToNumber(ipv4);
  const high = (n >>> 16).toString(16);
  const low = (n & 0xffff).toString(16);
  return `${LAB6_PREFIX}${high}:${low}`;
}

/** The IPv6 twin of an IPv4 block `a.b.c.d/len`: the same addresses, 96 bits further right. */
export function labCidr6(cidr4: string): string {
  const [base, length] = cidr4.split('/');
  return `${labIpv6(base!)}/${96 + Number(length)}`;
}

/**
 * IPv6 on, and quiet: no duplicate address detection (the addresses are
 * planned, and DAD would delay them), no router solicitations or
 * advertisements (there is no router), no link-local addresses (nothing in
 * the lab needs them, and each would be one more DAD and MLD exchange in
 * every capture). Set before the namespace's interfaces exist, so `default.*`
 * covers them.
 */
export const IPV6_SYSCTLS: readonly [string, string][] = [
  ['net.ipv6.conf.all.disable_ipv6', '0'],
  ['net.ipv6.conf.default.disable_ipv6', '0'],
  ['net.ipv6.conf.all.accept_dad', '0'],
  ['net.ipv6.conf.default.accept_dad', '0'],
  ['net.ipv6.conf.all.accept_ra', '0'],
  ['net.ipv6.conf.default.accept_ra', '0'],
  ['net.ipv6.conf.all.router_solicitations', '0'],
  ['net.ipv6.conf.default.router_solicitations', '0'],
  ['net.ipv6.conf.default.addr_gen_mode', '1'],
];

/**
 * The MAC of a dual-stack namespace's LAN interface, from its IPv4 LAN
 * address (02:0f + the four bytes: locally administered, unique on the LAN),
 * so that its IPv6 neighbours can be written down instead of discovered.
 */
export function lanMac(ipv4: string): string {
  const n = ipToNumber(ipv4);
  const bytes = [0x02, 0x0f, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * Permanent IPv6 neighbour entries on `namespace`'s LAN interface for the
 * given IPv4 LAN addresses' twins. The lab writes its IPv6 neighbours down:
 * measured, neighbour discovery between these namespaces (no link-local
 * addresses, no router) left a server's entry for the scanner FAILED now and
 * then, and its SYN-ACKs died as "address unreachable"; and ND is one more
 * kind of packet in every capture. IPv4 keeps ARP, which never misbehaved.
 */
export async function writeNeighbours(namespace: string, peers: readonly string[]): Promise<void> {
  const lines = peers.map((peer) => `neigh replace ${labIpv6(peer)} lladdr ${lanMac(peer)} dev eth0 nud permanent`);
  await run('ip', ['-n', namespace, '-6', '-batch', '-'], { input: `${lines.join('\n')}\n` });
}
