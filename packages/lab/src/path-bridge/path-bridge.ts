/**
 * The path bridge: this kernel has no netem, so a kernel personality gets its
 * network profile from a process that stands between its namespace and the
 * LAN, as a wire would. Frames from the LAN for the personality and frames
 * from the personality for the LAN come in (frame I/O is injected), every
 * host of its block gets its own path (`HostPath`: base delay, loss,
 * duplication, reordering, firewall, all seeded by the address, so they are
 * the ones the emulator and the ground truth compute), and each frame leaves
 * on the other side when the `DelayLine` says it is due.
 *
 * IPv6 twins of the block's hosts (the lab's fd00:18::/96, whose last 32
 * bits are the IPv4 address) get the same path as their IPv4 address: one
 * host, one path. Anything else (ARP, the namespace's own LAN addresses,
 * IPv6 with extension headers) passes at once: ARP is the LAN's, not the
 * path's.
 *
 * Checksums: a Linux stack leaves TCP and UDP checksums for the device to
 * fill in (veths "offload" them, so they are never computed), and a frame
 * read with libpcap and written again is checked by the receiver. The bridge
 * completes them on every frame it forwards, IPv4 and IPv6.
 */
import { checksum, PROTO_TCP, PROTO_UDP, readIpv4, readIpv6 } from '../emulator/packets.ts';
import { DelayLine, hostPath, pathSeed, type HostPath, type PathSpec } from '../emulator/path.ts';

export type Direction = 'in' | 'out';

export interface PathBridgeOptions {
  spec: PathSpec;
  /** The block behind the bridge (first address, size): its hosts get path conditions. */
  blockBase: number;
  blockSize: number;
  /** Sends a frame towards the hosts (in) / the LAN (out). The buffer may be reused after the call. */
  toHosts(frame: Buffer, length: number): void;
  toLan(frame: Buffer, length: number): void;
  /** Milliseconds, monotonic (injectable for tests). */
  now?: () => number;
}

/** The largest frame a veth takes without segmentation offload: Ethernet header + 1500. */
export const MAX_FRAME = 1514;

export interface PathBridgeStats {
  /** Frames read from the LAN side / the hosts' side. */
  fromLan: number;
  fromHosts: number;
  /** Forwarded at once (not IPv4 for a host of the block). */
  passed: number;
  /** Held in the delay line (duplicates count once more). */
  delayed: number;
  lost: number;
  duplicated: number;
  firewalled: number;
  /** Frames above MAX_FRAME (segmentation offload): forwarded as they are, and the send may fail. */
  oversize: number;
  /** Distinct hosts met so far. */
  hosts: number;
  /** Frames waiting in the delay line now. */
  waiting: number;
}

interface Held {
  frame: Buffer;
  length: number;
  dir: Direction;
}

export class PathBridge {
  private readonly hosts = new Map<number, HostPath>();
  private readonly line: DelayLine<Held>;
  private readonly counters = {
    fromLan: 0,
    fromHosts: 0,
    passed: 0,
    delayed: 0,
    lost: 0,
    duplicated: 0,
    firewalled: 0,
    oversize: 0,
  };

  constructor(private readonly o: PathBridgeOptions) {
    this.line = new DelayLine<Held>((held) => this.send(held.dir, held.frame, held.length), o.now);
  }

  get stats(): PathBridgeStats {
    return { ...this.counters, hosts: this.hosts.size, waiting: this.line.size };
  }

  /** A frame from the LAN towards the hosts (the shared capture buffer: used or copied before returning). */
  fromLan(frame: Buffer, length: number): void {
    this.counters.fromLan++;
    this.forward('in', frame, length);
  }

  /** A frame from the hosts towards the LAN. */
  fromHosts(frame: Buffer, length: number): void {
    this.counters.fromHosts++;
    this.forward('out', frame, length);
  }

  close(): void {
    this.line.close();
  }

  private forward(dir: Direction, frame: Buffer, length: number): void {
    if (length > MAX_FRAME) this.counters.oversize++;
    const ip = readDatagram(frame, length);
    const address = ip === null ? null : dir === 'in' ? ip.dst : ip.src;
    if (ip === null || address === null || (address - this.o.blockBase) >>> 0 >= this.o.blockSize) {
      if (ip !== null) completeChecksum(frame, ip);
      this.counters.passed++;
      this.send(dir, frame, length);
      return;
    }
    const path = this.host(address);
    const port =
      ip.protocol === PROTO_TCP && ip.l4Length >= 4 ? frame.readUInt16BE(dir === 'in' ? ip.l4 + 2 : ip.l4) : null;
    if (!path.passes(port)) {
      this.counters.firewalled++;
      return;
    }
    const delays = path.schedule(dir);
    if (delays.length === 0) {
      this.counters.lost++;
      return;
    }
    const copy = Buffer.allocUnsafe(length);
    frame.copy(copy, 0, 0, length);
    completeChecksum(copy, ip);
    if (delays.length > 1) this.counters.duplicated++;
    for (const ms of delays) {
      this.counters.delayed++;
      this.line.push({ frame: copy, length, dir }, ms);
    }
  }

  private host(address: number): HostPath {
    let path = this.hosts.get(address);
    if (!path) {
      path = hostPath(this.o.spec, pathSeed(address));
      this.hosts.set(address, path);
    }
    return path;
  }

  private send(dir: Direction, frame: Buffer, length: number): void {
    if (dir === 'in') this.o.toHosts(frame, length);
    else this.o.toLan(frame, length);
  }
}

/** What the bridge needs of an IP datagram in a frame. */
export interface Datagram {
  /** The IPv4 addresses of its ends; for IPv6 the lab twins' IPv4 addresses, null for other IPv6 addresses. */
  src: number | null;
  dst: number | null;
  protocol: number;
  /** Offset of the transport header and bytes from there to the datagram's end. */
  l4: number;
  l4Length: number;
  /** Sum of the pseudo-header's 16-bit words (what the transport checksum covers besides the segment). */
  pseudo: number;
}

/** fd00:0018:0000:0000:0000:0000, the lab's IPv6 twins' /96 (ipv6.ts), as 16-bit words. */
const LAB6_WORDS = [0xfd00, 0x0018, 0, 0, 0, 0];

function twinAddress(frame: Buffer, at: number): number | null {
  for (let i = 0; i < LAB6_WORDS.length; i++) if (frame.readUInt16BE(at + 2 * i) !== LAB6_WORDS[i]) return null;
  return frame.readUInt32BE(at + 12);
}

/** The IPv4 datagram, or IPv6 one carrying TCP or UDP directly, of an Ethernet frame; null for anything else. */
export function readDatagram(frame: Buffer, length: number): Datagram | null {
  const v4 = readIpv4(frame, length);
  if (v4) {
    const { src, dst, protocol, l4, l4Length } = v4;
    const pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + l4Length;
    return { src, dst, protocol, l4, l4Length, pseudo };
  }
  const v6 = readIpv6(frame, length);
  if (!v6) return null;
  let pseudo = v6.protocol + v6.l4Length;
  for (let at = v6.ip + 8; at < v6.ip + 40; at += 2) pseudo += frame.readUInt16BE(at);
  return {
    src: twinAddress(frame, v6.ip + 8),
    dst: twinAddress(frame, v6.ip + 24),
    protocol: v6.protocol,
    l4: v6.l4,
    l4Length: v6.l4Length,
    pseudo,
  };
}

/**
 * Fills in the TCP or UDP checksum of a datagram in place (an IPv4 UDP
 * datagram sent without a checksum keeps none). Fragments never get here
 * (readDatagram does not read them).
 */
export function completeChecksum(frame: Buffer, ip: Datagram): void {
  let field: number;
  if (ip.protocol === PROTO_TCP && ip.l4Length >= 20) field = ip.l4 + 16;
  else if (ip.protocol === PROTO_UDP && ip.l4Length >= 8) {
    field = ip.l4 + 6;
    if (frame.readUInt16BE(field) === 0) return;
  } else return;
  frame.writeUInt16BE(0, field);
  const sum = checksum(frame, ip.l4, ip.l4 + ip.l4Length, ip.pseudo);
  frame.writeUInt16BE(ip.protocol === PROTO_UDP && sum === 0 ? 0xffff : sum, field);
}
