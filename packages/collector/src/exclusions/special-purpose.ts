/**
 * IANA IPv4 Special-Purpose Address Registry
 * (https://www.iana.org/assignments/iana-ipv4-special-registry/), every entry,
 * plus multicast (224.0.0.0/4, from the IPv4 address space registry, RFC 5771),
 * which the special-purpose registry does not list but nobody may scan.
 * Entries marked globally reachable by IANA (AS112, AMT, anycast) are excluded
 * too: they are infrastructure, not servers anyone asked us to fingerprint.
 */
export const IANA_SPECIAL_PURPOSE_IPV4: readonly { readonly cidr: string; readonly name: string }[] = [
  { cidr: '0.0.0.0/8', name: '"This network" (RFC 791)' },
  { cidr: '0.0.0.0/32', name: '"This host on this network" (RFC 1122)' },
  { cidr: '10.0.0.0/8', name: 'Private-Use (RFC 1918)' },
  { cidr: '100.64.0.0/10', name: 'Shared Address Space (RFC 6598)' },
  { cidr: '127.0.0.0/8', name: 'Loopback (RFC 1122)' },
  { cidr: '169.254.0.0/16', name: 'Link Local (RFC 3927)' },
  { cidr: '172.16.0.0/12', name: 'Private-Use (RFC 1918)' },
  { cidr: '192.0.0.0/24', name: 'IETF Protocol Assignments (RFC 6890)' },
  { cidr: '192.0.0.0/29', name: 'IPv4 Service Continuity Prefix (RFC 7335)' },
  { cidr: '192.0.0.8/32', name: 'IPv4 dummy address (RFC 7600)' },
  { cidr: '192.0.0.9/32', name: 'Port Control Protocol Anycast (RFC 7723)' },
  { cidr: '192.0.0.10/32', name: 'Traversal Using Relays around NAT Anycast (RFC 8155)' },
  { cidr: '192.0.0.170/32', name: 'NAT64/DNS64 Discovery (RFC 8880)' },
  { cidr: '192.0.0.171/32', name: 'NAT64/DNS64 Discovery (RFC 8880)' },
  { cidr: '192.0.2.0/24', name: 'Documentation TEST-NET-1 (RFC 5737)' },
  { cidr: '192.31.196.0/24', name: 'AS112-v4 (RFC 7535)' },
  { cidr: '192.52.193.0/24', name: 'AMT (RFC 7450)' },
  { cidr: '192.88.99.0/24', name: 'Deprecated 6to4 Relay Anycast (RFC 7526)' },
  { cidr: '192.88.99.2/32', name: '6a44-relay anycast address (RFC 6751)' },
  { cidr: '192.168.0.0/16', name: 'Private-Use (RFC 1918)' },
  { cidr: '192.175.48.0/24', name: 'Direct Delegation AS112 Service (RFC 7534)' },
  { cidr: '198.18.0.0/15', name: 'Benchmarking (RFC 2544)' },
  { cidr: '198.51.100.0/24', name: 'Documentation TEST-NET-2 (RFC 5737)' },
  { cidr: '203.0.113.0/24', name: 'Documentation TEST-NET-3 (RFC 5737)' },
  { cidr: '224.0.0.0/4', name: 'Multicast (RFC 5771)' },
  { cidr: '240.0.0.0/4', name: 'Reserved (RFC 1112)' },
  { cidr: '255.255.255.255/32', name: 'Limited Broadcast (RFC 8190)' },
];

/**
 * IANA IPv6 Special-Purpose Address Registry
 * (https://www.iana.org/assignments/iana-ipv6-special-registry/), every entry,
 * plus, from the IPv6 address space registry, everything outside global
 * unicast 2000::/3 (multicast ff00::/8 among it): no server anyone asked us to
 * fingerprint lives there. Entries IANA marks globally reachable (NAT64,
 * TEREDO, 6to4, AS112, AMT, anycast) are excluded too, as for IPv4.
 */
export const IANA_SPECIAL_PURPOSE_IPV6: readonly { readonly cidr: string; readonly name: string }[] = [
  { cidr: '::1/128', name: 'Loopback Address (RFC 4291)' },
  { cidr: '::/128', name: 'Unspecified Address (RFC 4291)' },
  { cidr: '::ffff:0:0/96', name: 'IPv4-mapped Address (RFC 4291)' },
  { cidr: '64:ff9b::/96', name: 'IPv4-IPv6 Translat. (RFC 6052)' },
  { cidr: '64:ff9b:1::/48', name: 'IPv4-IPv6 Translat. (RFC 8215)' },
  { cidr: '100::/64', name: 'Discard-Only Address Block (RFC 6666)' },
  { cidr: '100:0:0:1::/64', name: 'Dummy IPv6 Prefix (RFC 9780)' },
  { cidr: '2001::/23', name: 'IETF Protocol Assignments (RFC 2928)' },
  { cidr: '2001::/32', name: 'TEREDO (RFC 4380, RFC 8190)' },
  { cidr: '2001:1::1/128', name: 'Port Control Protocol Anycast (RFC 7723)' },
  { cidr: '2001:1::2/128', name: 'Traversal Using Relays around NAT Anycast (RFC 8155)' },
  { cidr: '2001:1::3/128', name: 'DNS-SD Service Registration Protocol Anycast (RFC 9665)' },
  { cidr: '2001:2::/48', name: 'Benchmarking (RFC 5180)' },
  { cidr: '2001:3::/32', name: 'AMT (RFC 7450)' },
  { cidr: '2001:4:112::/48', name: 'AS112-v6 (RFC 7535)' },
  { cidr: '2001:10::/28', name: 'Deprecated (previously ORCHID) (RFC 4843)' },
  { cidr: '2001:20::/28', name: 'ORCHIDv2 (RFC 7343)' },
  { cidr: '2001:30::/28', name: 'Drone Remote ID Protocol Entity Tags (DETs) Prefix (RFC 9374)' },
  { cidr: '2001:db8::/32', name: 'Documentation (RFC 3849)' },
  { cidr: '2002::/16', name: '6to4 (RFC 3056)' },
  { cidr: '2620:4f:8000::/48', name: 'Direct Delegation AS112 Service (RFC 7534)' },
  { cidr: '3fff::/20', name: 'Documentation (RFC 9637)' },
  { cidr: '5f00::/16', name: 'Segment Routing (SRv6) SIDs (RFC 9602)' },
  { cidr: 'fc00::/7', name: 'Unique-Local (RFC 4193, RFC 8190)' },
  { cidr: 'fe80::/10', name: 'Link-Local Unicast (RFC 4291)' },
  { cidr: 'ff00::/8', name: 'Multicast (RFC 4291)' },
  { cidr: '::/3', name: 'Not global unicast: reserved and unassigned (IPv6 address space registry)' },
  { cidr: '4000::/2', name: 'Not global unicast: unassigned (IPv6 address space registry)' },
  {
    cidr: '8000::/1',
    name: 'Not global unicast: unassigned, ULA, link-local, multicast (IPv6 address space registry)',
  },
];
