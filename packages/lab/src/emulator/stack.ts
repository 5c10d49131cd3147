/**
 * The emulated stack of one OS over a block of addresses: every frame for
 * the block comes in here; Nmap's probes get the fingerprint's answers,
 * HTTP clients get a connection, UDP gets the U1 treatment and pings the IE
 * one. Each address is a host of its own (its own profile, counters and
 * path), created on first contact from a seed, so it answers consistently.
 *
 * Frame I/O is injected (`send`), so the stack runs in tests without pcap.
 */
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { Duplex } from 'node:stream';
import { AnsweredProbes } from './answered-probes.ts';
import { chooseProfiles, TCP_FLAGS, type HostProfile, type TcpAnswer } from './host-profile.ts';
import { echoReplyShape, portUnreachableQuote } from './icmp-udp.ts';
import type { Fingerprint, OsDb } from './os-db.ts';
import {
  forgeCrc32,
  PROTO_ICMP,
  PROTO_TCP,
  PROTO_UDP,
  readIpv4,
  readTcp,
  writeIcmpFrame,
  writeTcpFrame,
  type IpFields,
  type Ipv4View,
  type TcpView,
} from './packets.ts';
import { DelayLine, hostPath, isIdlePath, pathSeed, type HostPath, type PathSpec } from './path.ts';
import { classifyTcp } from './probes.ts';
import { hashSeed, seededRng, type Rng } from './random.ts';
import { IpIdCounter, IsnGenerator, TsClock } from './sequences.ts';
import { ConnTable, type Conn, type ConnOutput, type StreamSink } from './tcp-connection.ts';

export interface StackOptions {
  slug: string;
  fingerprint: Fingerprint;
  db: OsDb;
  /** First address of the block and its size (addresses base .. base+size-1). */
  blockBase: number;
  blockSize: number;
  mac: Buffer;
  send: (frame: Buffer, length: number) => void;
  classOf: (fp: Fingerprint) => string;
  httpPort?: number;
  /** HTTPS on this port (443) with this certificate and key (PEM): node:tls over the emulated TCP. */
  tls?: { port?: number; cert: string | Buffer; key: string | Buffer };
  path?: PathSpec;
  /** Epoch seconds, the clock capture timestamps use (injectable for tests). */
  now?: () => number;
}

interface HostState {
  ip: number;
  profile: HostProfile;
  rng: Rng;
  isn: IsnGenerator;
  tcpId: IpIdCounter;
  closedId: IpIdCounter;
  icmpId: IpIdCounter;
  ts: TsClock | null;
  path: HostPath | null;
}

const { SYN, ACK, RST } = TCP_FLAGS;

export function httpResponse(slug: string): Buffer {
  const body = `<!doctype html><html><head><title>osfp lab</title></head><body><p>osfp lab host (${slug})</p></body></html>\n`;
  return Buffer.from(
    `HTTP/1.1 200 OK\r\nServer: osfp-lab-emu-${slug}\r\nContent-Type: text/html\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    'latin1',
  );
}

export class EmulatedStack {
  readonly profiles: HostProfile[];
  readonly profileScores: ReturnType<typeof chooseProfiles>['scores'];
  private readonly hosts = new Map<number, HostState>();
  private readonly conns: ConnTable;
  private readonly out = Buffer.alloc(2048);
  private readonly httpPort: number;
  private readonly tlsPort: number;
  private https: HttpsServer | null = null;
  private readonly now: () => number;
  private readonly origin: number;
  private readonly rstPayloads = new Map<number, Buffer>();
  private readonly inbound: DelayLine<{ frame: Buffer; length: number; at: number }> | null;
  private readonly outbound: DelayLine<Buffer> | null;
  /** `repeats`: retransmitted probes left unanswered because their first answer went out (answered-probes.ts). */
  readonly counters = { frames: 0, ignored: 0, tcp: 0, udp: 0, icmp: 0, dropped: 0, repeats: 0 };
  private readonly answered = new AnsweredProbes();

  constructor(private readonly o: StackOptions) {
    this.httpPort = o.httpPort ?? 80;
    this.tlsPort = o.tls ? (o.tls.port ?? 443) : -1;
    this.now = o.now ?? (() => (performance.timeOrigin + performance.now()) / 1000);
    // Clocks count from here: epoch seconds times an ISN rate of 2^33/s would exceed a double's precision.
    this.origin = Math.floor(this.now());
    const choice = chooseProfiles(o.fingerprint, o.db, o.classOf);
    this.profiles = choice.profiles;
    this.profileScores = choice.scores;
    this.conns = new ConnTable(httpResponse(o.slug), (conn, out) => this.emitConn(conn, out), { idleMs: 10_000 });
    const delayed = !isIdlePath(o.path);
    this.inbound = delayed ? new DelayLine((f) => this.process(f.frame, f.length, f.at)) : null;
    this.outbound = delayed ? new DelayLine((f) => o.send(f, f.length)) : null;
  }

  get connectionStats(): ConnTable['stats'] & { open: number } {
    return { ...this.conns.stats, open: this.conns.conns.size };
  }

  /** Retransmissions and expiry; the process calls it every 50 ms. */
  tick(): void {
    const now = this.t(this.now());
    this.conns.tick(now * 1000);
    this.answered.sweep(now);
  }

  close(): void {
    this.inbound?.close();
    this.outbound?.close();
    this.https?.close();
  }

  /**
   * The byte stream of one HTTPS connection, handed to an https.Server as if
   * it were a socket: node:tls and node:http run unchanged on top of the
   * emulated TCP.
   */
  private attachTls(conn: Conn): StreamSink {
    if (!this.https) {
      const body = httpResponse(this.o.slug).toString('latin1').split('\r\n\r\n')[1] ?? '';
      const tls = this.o.tls!;
      this.https = createHttpsServer({ cert: tls.cert, key: tls.key }, (_req, res) => {
        res.writeHead(200, {
          Server: `osfp-lab-emu-${this.o.slug}`,
          'Content-Type': 'text/html',
          'Content-Length': Buffer.byteLength(body),
          Connection: 'close',
        });
        res.end(body);
      });
      // A client that goes away mid-handshake is ordinary here, not an error worth a crash.
      this.https.on('tlsClientError', () => undefined);
    }
    const nowMs = (): number => this.t(this.now()) * 1000;
    const duplex = new Duplex({
      read() {},
      write: (chunk: Buffer, _encoding, callback) => {
        this.conns.write(conn, chunk, nowMs());
        callback();
      },
      final: (callback) => {
        this.conns.end(conn, nowMs());
        callback();
      },
    });
    duplex.on('error', () => undefined);
    this.https.emit('connection', duplex);
    return {
      data: (chunk) => duplex.push(chunk),
      end: () => duplex.push(null),
      abort: () => duplex.destroy(),
    };
  }

  private host(ip: number): HostState {
    let h = this.hosts.get(ip);
    if (h) return h;
    const seed = hashSeed(this.o.slug, this.o.fingerprint.name, ip);
    const rng = seededRng(seed);
    const profile = this.profiles[seed % this.profiles.length]!;
    const tcpId = new IpIdCounter(profile.ipId.tcp, rng);
    const closedId = profile.ipId.closedShared ? tcpId : new IpIdCounter(profile.ipId.closed, rng);
    const icmpId = profile.ipId.icmpShared ? tcpId : new IpIdCounter(profile.ipId.icmp, rng);
    h = {
      ip,
      profile,
      rng,
      tcpId,
      closedId,
      icmpId,
      isn: new IsnGenerator(profile.isn, rng),
      ts: profile.tsHz === null ? null : new TsClock(profile.tsHz, rng),
      path: this.o.path ? hostPath(this.o.path, pathSeed(ip)) : null,
    };
    this.hosts.set(ip, h);
    return h;
  }

  /**
   * Every captured frame (the shared pcap buffer: used or copied before
   * returning), with its capture time: sequence numbers, IP IDs and
   * timestamps are read off the clock at arrival, not when this process gets
   * round to it, so load does not skew what Nmap measures.
   */
  handleFrame(frame: Buffer, length: number, at = this.now()): void {
    this.counters.frames++;
    if (this.inbound) {
      const ip = readIpv4(frame, length);
      if (!ip) return;
      const host = this.hostFor(ip.dst);
      if (!host) return;
      const delays = host.path?.schedule('in') ?? [0];
      if (delays.length === 0) this.counters.dropped++;
      for (const d of delays)
        this.inbound.push({ frame: Buffer.from(frame.subarray(0, length)), length, at: at + d / 1000 }, d);
      return;
    }
    this.process(frame, length, at);
  }

  /** Seconds since this stack started, on the capture clock. */
  private t(at: number): number {
    return at - this.origin;
  }

  private hostFor(dst: number): HostState | null {
    const offset = (dst - this.o.blockBase) >>> 0;
    return offset < this.o.blockSize ? this.host(dst) : null;
  }

  private process(frame: Buffer, length: number, epochAt: number): void {
    const at = this.t(epochAt);
    const ip = readIpv4(frame, length);
    if (!ip) return;
    const host = this.hostFor(ip.dst);
    if (!host) {
      this.counters.ignored++;
      return;
    }
    const path = host.path;
    const peerMac = frame.subarray(6, 12);
    if (ip.protocol === PROTO_TCP) {
      const seg = readTcp(frame, ip);
      if (!seg) return;
      if (path && !path.passes(seg.dstPort)) return;
      this.counters.tcp++;
      this.tcp(host, frame, ip, seg, peerMac, at);
    } else if (path && !path.passes(null)) {
      return;
    } else if (ip.protocol === PROTO_UDP) {
      this.counters.udp++;
      this.udp(host, frame, ip, peerMac, at);
    } else if (ip.protocol === PROTO_ICMP) {
      this.counters.icmp++;
      this.icmp(host, frame, ip, peerMac, at);
    }
  }

  /** Sends the frame in `out` along the host's path; false when the path lost it. */
  private transmit(host: HostState, length: number): boolean {
    if (!host.path || !this.outbound) {
      this.o.send(this.out, length);
      return true;
    }
    const delays = host.path.schedule('out');
    if (delays.length === 0) this.counters.dropped++;
    for (const d of delays) this.outbound?.push(Buffer.from(this.out.subarray(0, length)), d);
    return delays.length > 0;
  }

  /**
   * Answers a probe once: `answer` runs unless the same probe (`key`) was
   * answered within the retransmission window, and the probe is remembered
   * when its answer went out.
   */
  private once(key: string, now: number, answer: () => boolean): void {
    if (this.answered.has(key, now)) {
      this.counters.repeats++;
      return;
    }
    if (answer()) this.answered.add(key, now);
  }

  private ipFields(host: HostState, peer: number, peerMac: Buffer, ttl: number, df: boolean, id: number): IpFields {
    return { srcMac: this.o.mac, dstMac: peerMac, src: host.ip, dst: peer, ttl, df, id };
  }

  private tcp(host: HostState, frame: Buffer, ip: Ipv4View, seg: TcpView, peerMac: Buffer, now: number): void {
    const key = ConnTable.key(ip.src, seg.srcPort, ip.dst, seg.dstPort);
    const existing = this.conns.conns.get(key);
    if (existing) {
      // A new SYN on a 4-tuple we still hold (port reuse): the old connection is over.
      if (seg.flags & SYN && !(seg.flags & ACK) && (seg.seq + 1) >>> 0 !== existing.rcvNext) {
        this.conns.conns.delete(key);
      } else {
        this.conns.segment(
          existing,
          seg.flags,
          seg.seq,
          seg.ack,
          seg.tsVal,
          frame.subarray(seg.payloadOffset, seg.payloadOffset + seg.payloadLength),
          now * 1000,
        );
        return;
      }
    }
    const open = seg.dstPort === this.httpPort || seg.dstPort === this.tlsPort;
    const probe = classifyTcp(seg, open);
    const p = host.profile;
    // Nmap resends a probe byte for byte (but IP ID and TTL): the same ports, sequence, flags and window.
    const probeKey = (): string =>
      `t ${ip.src} ${seg.srcPort} ${ip.dst} ${seg.dstPort} ${seg.seq} ${seg.ack} ${seg.flags} ${seg.window}`;
    switch (probe.kind) {
      case 'other':
        return;
      case 'seq': {
        const a = p.seq[probe.index];
        if (a) this.once(probeKey(), now, () => this.answerTcp(host, ip, seg, peerMac, a, host.tcpId, now));
        return;
      }
      case 'ecn': {
        const a = p.ecn;
        if (a) this.once(probeKey(), now, () => this.answerTcp(host, ip, seg, peerMac, a, host.tcpId, now));
        return;
      }
      case 't': {
        const a = p.t[probe.test - 2];
        const ids = probe.test >= 5 ? host.closedId : host.tcpId;
        if (a) this.once(probeKey(), now, () => this.answerTcp(host, ip, seg, peerMac, a, ids, now));
        return;
      }
      case 'ordinary-syn': {
        const answer = seg.tsVal !== null ? p.synWithTs : p.synWithoutTs;
        const cookie = host.path?.synCookies === true;
        this.peerMacs.set(key, Buffer.from(peerMac));
        const stream =
          seg.dstPort === this.tlsPort
            ? { peerMss: seg.mss ?? 536, attach: (conn: Conn) => this.attachTls(conn) }
            : undefined;
        this.conns.open(
          key,
          ip.src,
          seg.srcPort,
          ip.dst,
          seg.dstPort,
          seg.seq,
          seg.tsVal,
          answer,
          cookie ? synCookie(ip.src, seg.srcPort, ip.dst, seg.dstPort, seg.seq, now) : host.isn.next(now),
          now * 1000,
          stream,
          cookie,
        );
        return;
      }
    }
  }

  private readonly peerMacs = new Map<string, Buffer>();

  private answerTcp(
    host: HostState,
    ip: Ipv4View,
    seg: TcpView,
    peerMac: Buffer,
    a: TcpAnswer,
    ids: IpIdCounter,
    now: number,
  ): boolean {
    const seq =
      a.seq === 'Z'
        ? 0
        : a.seq === 'A'
          ? seg.ack
          : a.seq === 'A+'
            ? (seg.ack + 1) >>> 0
            : a.flags & SYN
              ? host.path?.synCookies
                ? synCookie(ip.src, seg.srcPort, ip.dst, seg.dstPort, seg.seq, now)
                : host.isn.next(now)
              : host.rng.int(1, 0xffffffff);
    const ack =
      a.ack === 'Z' ? 0 : a.ack === 'S' ? seg.seq : a.ack === 'S+' ? (seg.seq + 1) >>> 0 : host.rng.int(1, 0xffffffff);
    let payload: Buffer | null = null;
    if (a.rstDataCrc !== null && a.flags & RST) {
      payload = this.rstPayloads.get(a.rstDataCrc) ?? forgeCrc32(a.rstDataCrc);
      this.rstPayloads.set(a.rstDataCrc, payload);
    }
    const length = writeTcpFrame(this.out, this.ipFields(host, ip.src, peerMac, a.ttl, a.df, ids.next(now)), {
      srcPort: seg.dstPort,
      dstPort: seg.srcPort,
      seq,
      ack,
      flags: a.flags,
      window: a.window,
      reserved: a.reservedBits ? 0x4 : 0,
      urgent: a.urgentPointer ? seg.urgent || 0xf7f5 : 0,
      options: a.options,
      tsVal: host.ts?.value(now) ?? 0,
      tsEcr: seg.tsVal ?? 0,
      payload,
    });
    return this.transmit(host, length);
  }

  private emitConn(conn: Conn, out: ConnOutput): void {
    const host = this.host(conn.local);
    const peerMac = this.peerMacs.get(conn.key);
    if (!peerMac) return;
    const now = this.t(this.now());
    const a = conn.answer;
    const options = out.synAck ? a.options : conn.ts ? DATA_TS_OPTIONS : [];
    // Hosts whose TSvals look random to Nmap (TS=21, 22: a random offset per connection, as OpenBSD)
    // must still count forward within a connection, or the client's PAWS check drops our data.
    let tsVal = host.ts?.value(now) ?? 1;
    if (host.ts && host.ts.hz > 65536) {
      if (conn.tsStart === null) conn.tsStart = tsVal;
      tsVal = (conn.tsStart + Math.floor(now * 1000 - conn.synAckSentAt)) >>> 0;
    }
    const length = writeTcpFrame(this.out, this.ipFields(host, conn.peer, peerMac, a.ttl, a.df, host.tcpId.next(now)), {
      srcPort: conn.localPort,
      dstPort: conn.peerPort,
      seq: out.seq,
      ack: out.ack,
      flags: out.flags,
      window: a.window,
      options,
      tsVal,
      tsEcr: conn.peerTsVal,
      payload: out.payload,
    });
    this.transmit(host, length);
    if (!this.conns.conns.has(conn.key)) this.peerMacs.delete(conn.key);
  }

  /** Forgets peer MACs of connections that are gone (called with tick). */
  sweepPeerMacs(): void {
    for (const key of this.peerMacs.keys()) if (!this.conns.conns.has(key)) this.peerMacs.delete(key);
  }

  private udp(host: HostState, frame: Buffer, ip: Ipv4View, peerMac: Buffer, now: number): void {
    const u1 = host.profile.u1;
    if (!u1 || ip.l4Length < 8) return;
    const key = `u ${ip.src} ${frame.readUInt16BE(ip.l4)} ${ip.dst} ${frame.readUInt16BE(ip.l4 + 2)} ${ip.l4Length}`;
    this.once(key, now, () => {
      const quote = portUnreachableQuote(frame, ip, u1);
      const length = writeIcmpFrame(
        this.out,
        this.ipFields(host, ip.src, peerMac, u1.ttl, u1.df, host.icmpId.next(now)),
        3,
        3,
        u1.unused,
        quote,
      );
      return this.transmit(host, length);
    });
  }

  private icmp(host: HostState, frame: Buffer, ip: Ipv4View, peerMac: Buffer, now: number): void {
    const ie = host.profile.ie;
    if (!ie || ip.l4Length < 8 || frame[ip.l4] !== 8) return;
    const { df, code } = echoReplyShape(ie, ip.df, frame[ip.l4 + 1] ?? 0);
    const rest = frame.readUInt32BE(ip.l4 + 4);
    // Echo identifier and sequence number (`rest`), code and size: a ping's next request differs in its sequence.
    const key = `i ${ip.src} ${ip.dst} ${rest} ${frame[ip.l4 + 1] ?? 0} ${ip.l4Length}`;
    this.once(key, now, () => {
      const body = frame.subarray(ip.l4 + 8, ip.l4 + ip.l4Length);
      const length = writeIcmpFrame(
        this.out,
        this.ipFields(host, ip.src, peerMac, ie.ttl, df, host.icmpId.next(now)),
        0,
        code,
        rest,
        body,
      );
      return this.transmit(host, length);
    });
  }
}

/**
 * The ISN of a host that answers with SYN cookies: a keyed hash of the
 * connection and the client's ISN with a counter that moves every 64 s, as
 * Linux makes them, so a retransmitted SYN gets the same SYN-ACK and
 * Nmap's sequence tests see the cookies' randomness instead of the
 * fingerprint's ISN generator.
 */
function synCookie(
  peer: number,
  peerPort: number,
  local: number,
  localPort: number,
  peerIsn: number,
  now: number,
): number {
  return hashSeed('syn-cookie', peer, peerPort, local, localPort, peerIsn, Math.floor(now / 64));
}

/** Data segments of a connection that negotiated timestamps carry NOP NOP TS. */
const DATA_TS_OPTIONS = [
  { kind: 'nop' as const },
  { kind: 'nop' as const },
  { kind: 'ts' as const, val: true, ecr: true },
];
