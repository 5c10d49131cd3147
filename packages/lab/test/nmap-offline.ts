/**
 * Nmap's OS-detection probes and its reading of the answers, offline: frames
 * built as osscan2.cc sends them are handed to an EmulatedStack, and the
 * frames it sends back are read into the print Nmap would record. Lets unit
 * tests check a host's whole answer set without a network.
 */
import CRC32 from 'crc-32';
import { TCP_FLAGS } from '../src/emulator/host-profile.ts';
import {
  PROTO_UDP,
  checksum,
  ipToInt,
  nmapOptionString,
  readIpv4,
  readTcp,
  writeIcmpFrame,
  writeTcpFrame,
  type IpFields,
} from '../src/emulator/packets.ts';
import type { ObservedPrint } from '../src/emulator/scoring.ts';
import { hex } from '../src/emulator/expressions.ts';
import { nmapIpIdClass, nmapSeqValues, nmapTsValue } from '../src/emulator/sequences.ts';
import { EmulatedStack } from '../src/emulator/stack.ts';
import type { PathSpec } from '../src/emulator/path.ts';
import { fingerprintClass, loadOsDb, requireFingerprint } from '../src/index.ts';

const { SYN, ACK, FIN, PSH, URG, ECE, CWR } = TCP_FLAGS;

/** osscan2.cc's probe options, as bytes. */
const OPTS = [
  '03030a01020405b4080affffffff0000000004 02',
  '020405780303000402080affffffff0000000000',
  '080affffffff00000000010103030501020402 80',
  '0402080affffffff0000000003030a00',
  '020402180402080affffffff0000000003030a00',
  '020401090402080affffffff00000000',
  '03030a01020405b404020101',
  '03030a0102040109080affffffff0000000004 02',
  '03030f0102040109080affffffff0000000004 02',
].map((h) => Buffer.from(h.replace(/ /g, ''), 'hex'));

/** Nmap's option bytes: 0-5 the SEQ probes, 6 ECN, 7 T2-T6, 8 T7. */
export function opts(index: number): Buffer {
  // T2-T6 share option set 7; T7 uses set 8 (window scale 15).
  return OPTS[index]!;
}

const SCANNER = ipToInt('198.18.0.10');
const SCANNER_MAC = Buffer.from([2, 0, 0, 0, 0, 10]);
const HOST_MAC = Buffer.from([2, 0, 0, 0, 0, 90]);

/** A raw-options TCP frame (the builder in packets.ts takes parsed options; probes need exact bytes). */
export function probeFrame(
  dst: number,
  f: {
    sport: number;
    dport: number;
    seq: number;
    ack: number;
    flags: number;
    window: number;
    df: boolean;
    options: Buffer;
    reserved?: number;
    urgent?: number;
    id: number;
  },
): Buffer {
  const out = Buffer.alloc(200);
  const ipf: IpFields = { srcMac: SCANNER_MAC, dstMac: HOST_MAC, src: SCANNER, dst, ttl: 50, df: f.df, id: f.id };
  const len = writeTcpFrame(out, ipf, {
    srcPort: f.sport,
    dstPort: f.dport,
    seq: f.seq,
    ack: f.ack,
    flags: f.flags,
    window: f.window,
    ...(f.reserved !== undefined && { reserved: f.reserved }),
    ...(f.urgent !== undefined && { urgent: f.urgent }),
    options: [],
  });
  // Splice the raw options in after the 20-byte TCP header and fix lengths and checksums.
  const padded = Buffer.concat([f.options, Buffer.alloc((4 - (f.options.length % 4)) % 4)]);
  const frame = Buffer.concat([out.subarray(0, len), padded]);
  const ip = 14;
  frame.writeUInt16BE(frame.length - 14, ip + 2);
  frame.writeUInt16BE(0, ip + 10);
  frame.writeUInt16BE(checksum(frame, ip, ip + 20), ip + 10);
  const tcp = ip + 20;
  frame[tcp + 12] = (((20 + padded.length) / 4) << 4) | ((f.reserved ?? 0) & 0x0f);
  frame.writeUInt16BE(0, tcp + 16);
  const tcpLen = frame.length - tcp;
  const pseudo = (SCANNER >>> 16) + (SCANNER & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + tcpLen;
  frame.writeUInt16BE(checksum(frame, tcp, frame.length, pseudo), tcp + 16);
  return frame;
}

export function udpProbe(dst: number, sport: number, dport: number): Buffer {
  const data = Buffer.alloc(300, 0x43);
  const frame = Buffer.alloc(14 + 20 + 8 + 300);
  SCANNER_MAC.copy(frame, 6);
  HOST_MAC.copy(frame, 0);
  frame.writeUInt16BE(0x0800, 12);
  frame[14] = 0x45;
  frame.writeUInt16BE(328, 16);
  frame.writeUInt16BE(0x1042, 18);
  frame[22] = 55;
  frame[23] = PROTO_UDP;
  frame.writeUInt32BE(SCANNER, 26);
  frame.writeUInt32BE(dst, 30);
  frame.writeUInt16BE(checksum(frame, 14, 34), 24);
  frame.writeUInt16BE(sport, 34);
  frame.writeUInt16BE(dport, 36);
  frame.writeUInt16BE(308, 38);
  data.copy(frame, 42);
  const pseudo = (SCANNER >>> 16) + (SCANNER & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 17 + 308;
  frame.writeUInt16BE(checksum(frame, 34, frame.length, pseudo), 40);
  return frame;
}

export function echoProbe(
  dst: number,
  code: number,
  df: boolean,
  tos: number,
  id: number,
  seq: number,
  size: number,
): Buffer {
  const out = Buffer.alloc(400);
  const len = writeIcmpFrame(
    out,
    { srcMac: SCANNER_MAC, dstMac: HOST_MAC, src: SCANNER, dst, ttl: 50, df, id: 777, tos },
    8,
    code,
    ((id << 16) | seq) >>> 0,
    Buffer.alloc(size),
  );
  return Buffer.from(out.subarray(0, len));
}

export interface OfflineScan {
  print: ObservedPrint;
  replies: Buffer[];
}

/**
 * Runs Nmap's probe sequence against `host` of `stack` (open port 80, closed
 * port 1) with the clock advanced as Nmap would (SEQ probes 100 ms apart),
 * and returns the print Nmap would record. `sent` must be the list the
 * stack's `send` appends to.
 */
export function offlineScan(stack: EmulatedStack, host: string, sent: Buffer[], startAt: number): OfflineScan {
  const dst = ipToInt(host);
  const seqBase = 0x1000;
  const ackBase = 0x2000;
  const portBase = 40000;
  const replies: Buffer[] = [];
  const take = (): Buffer | null => {
    const r = sent.shift() ?? null;
    if (r) replies.push(r);
    return r;
  };
  const windows = [1, 63, 4, 4, 16, 512];
  const seqReplies: (Buffer | null)[] = [];
  const times: number[] = [];
  let id = 100;
  for (let i = 0; i < 6; i++) {
    const at = startAt + i * 0.1;
    times.push(at);
    const f = probeFrame(dst, {
      sport: portBase + i,
      dport: 80,
      seq: seqBase + i,
      ack: ackBase,
      flags: SYN,
      window: windows[i]!,
      df: false,
      options: opts(i),
      id: id++,
    });
    stack.handleFrame(f, f.length, at);
    seqReplies.push(take());
  }
  let t = startAt + 0.7;
  const send = (f: Buffer): Buffer | null => {
    t += 0.025;
    stack.handleFrame(f, f.length, t);
    return take();
  };
  const ie1 = send(echoProbe(dst, 9, true, 0, 0x4242, 295, 120));
  const ie2 = send(echoProbe(dst, 0, false, 4, 0x4243, 296, 150));
  const u1 = send(udpProbe(dst, 41000, 33333));
  const ecn = send(
    probeFrame(dst, {
      sport: portBase + 12,
      dport: 80,
      seq: seqBase,
      ack: 0,
      flags: SYN | ECE | CWR,
      window: 3,
      df: false,
      options: opts(6),
      reserved: 8,
      urgent: 63477,
      id: id++,
    }),
  );
  const tSpecs = [
    { flags: 0, window: 128, df: true, dport: 80, o: 7 },
    { flags: SYN | FIN | URG | PSH, window: 256, df: false, dport: 80, o: 7 },
    { flags: ACK, window: 1024, df: true, dport: 80, o: 7 },
    { flags: SYN, window: 31337, df: false, dport: 1, o: 7 },
    { flags: ACK, window: 32768, df: true, dport: 1, o: 7 },
    { flags: FIN | PSH | URG, window: 65535, df: false, dport: 1, o: 8 },
  ];
  const tReplies = tSpecs.map((s, i) =>
    send(
      probeFrame(dst, {
        sport: portBase + 14 + i,
        dport: s.dport,
        seq: seqBase,
        ack: ackBase,
        flags: s.flags,
        window: s.window,
        df: s.df,
        options: opts(s.o),
        id: id++,
      }),
    ),
  );

  const print: ObservedPrint = new Map();
  const ipOf = (b: Buffer) => readIpv4(b, b.length)!;
  const tcpOf = (b: Buffer) => readTcp(b, ipOf(b))!;
  const optsOf = (b: Buffer) => {
    const tcp = tcpOf(b);
    return nmapOptionString(b.subarray(tcp.optionsOffset, tcp.optionsOffset + tcp.optionsLength));
  };
  const tsOf = (b: Buffer): number | null => tcpOf(b).tsVal;
  const tcpTest = (b: Buffer | null, withWo: boolean, probeSeq: number, probeAck: number): Map<string, string> => {
    if (!b) return new Map([['R', 'N']]);
    const ip = ipOf(b);
    const tcp = tcpOf(b);
    const m = new Map<string, string>([
      ['R', 'Y'],
      ['DF', ip.df ? 'Y' : 'N'],
      ['T', hex(ip.ttl)],
    ]);
    if (withWo) m.set('W', hex(tcp.window));
    m.set('S', tcp.seq === 0 ? 'Z' : tcp.seq === probeAck ? 'A' : tcp.seq === (probeAck + 1) >>> 0 ? 'A+' : 'O');
    m.set('A', tcp.ack === 0 ? 'Z' : tcp.ack === probeSeq ? 'S' : tcp.ack === (probeSeq + 1) >>> 0 ? 'S+' : 'O');
    const order: [number, string][] = [
      [ECE, 'E'],
      [URG, 'U'],
      [ACK, 'A'],
      [PSH, 'P'],
      [TCP_FLAGS.RST, 'R'],
      [SYN, 'S'],
      [FIN, 'F'],
    ];
    m.set(
      'F',
      order
        .filter(([bit]) => tcp.flags & bit)
        .map(([, c]) => c)
        .join(''),
    );
    if (withWo) m.set('O', optsOf(b));
    m.set(
      'RD',
      tcp.flags & TCP_FLAGS.RST && tcp.payloadLength > 0
        ? hex(crc(b.subarray(tcp.payloadOffset, tcp.payloadOffset + tcp.payloadLength)))
        : '0',
    );
    m.set('Q', `${tcp.reserved ? 'R' : ''}${!(tcp.flags & URG) && tcp.urgent ? 'U' : ''}`);
    return m;
  };

  // SEQ
  const seq = new Map<string, string>();
  const good = seqReplies
    .map((r, i) => ({ r, t: times[i]! }))
    .filter((x): x is { r: Buffer; t: number } => x.r !== null && (tcpOf(x.r).flags & (SYN | ACK)) === (SYN | ACK));
  if (good.length >= 4) {
    const v = nmapSeqValues(
      good.map((g) => tcpOf(g.r).seq),
      good.map((g) => g.t),
    );
    if (v) {
      seq.set('SP', hex(v.sp));
      seq.set('GCD', hex(v.gcd));
      seq.set('ISR', hex(v.isr));
    }
  }
  const idText = (ids: number[]): string | null => {
    const c = nmapIpIdClass(ids);
    return c === 'unknown' ? null : c === 'constant' ? hex(ids[0] ?? 0) : c;
  };
  const tcpIds = good.map((g) => ipOf(g.r).id);
  const closedIds = tReplies
    .slice(3)
    .filter((r): r is Buffer => r !== null)
    .map((r) => ipOf(r).id);
  const icmpIds = [ie1, ie2].filter((r): r is Buffer => r !== null).map((r) => ipOf(r).id);
  const ti = good.length >= 3 ? idText(tcpIds) : null;
  const ci = closedIds.length >= 2 ? idText(closedIds) : null;
  const ii = icmpIds.length >= 2 ? idText(icmpIds) : null;
  if (ti) seq.set('TI', ti);
  if (ci) seq.set('CI', ci);
  if (ii) seq.set('II', ii);
  const incr = (c: string | null) => c === 'I' || c === 'BI' || c === 'RI';
  if (incr(ti) && incr(ii)) {
    const avg = Math.floor(((tcpIds[tcpIds.length - 1]! - tcpIds[0]!) >>> 0) / (tcpIds.length - 1));
    seq.set('SS', icmpIds[0]! < tcpIds[tcpIds.length - 1]! + 3 * avg ? 'S' : 'O');
  }
  if (good.length > 0) {
    const ts = good.map((g) => tsOf(g.r));
    if (ts.some((x) => x === null)) seq.set('TS', 'U');
    else if (ts.some((x) => x === 0)) seq.set('TS', '0');
    else {
      const v = nmapTsValue(
        ts as number[],
        good.map((g) => g.t),
      );
      if (v) seq.set('TS', v);
    }
  }
  print.set('SEQ', seq);
  if (seqReplies.every(Boolean)) {
    print.set('OPS', new Map(seqReplies.map((r, i) => [`O${i + 1}`, optsOf(r!)])));
    print.set('WIN', new Map(seqReplies.map((r, i) => [`W${i + 1}`, hex(tcpOf(r!).window)])));
  }
  if (ecn) {
    const e = tcpTest(ecn, true, seqBase, 0);
    const f = tcpOf(ecn).flags;
    const cc = f & ECE && f & CWR ? 'S' : f & ECE ? 'Y' : !(f & CWR) ? 'N' : 'O';
    print.set(
      'ECN',
      new Map([
        ['R', 'Y'],
        ['DF', e.get('DF')!],
        ['T', e.get('T')!],
        ['W', e.get('W')!],
        ['O', e.get('O')!],
        ['CC', cc],
        ['Q', e.get('Q')!],
      ]),
    );
  } else print.set('ECN', new Map([['R', 'N']]));
  print.set('T1', tcpTest(seqReplies[0] ?? null, false, seqBase, ackBase));
  tReplies.forEach((r, i) => print.set(`T${i + 2}` as 'T2', tcpTest(r, true, seqBase, ackBase)));
  if (u1) {
    const ip = ipOf(u1);
    const icmp = ip.l4;
    const q = icmp + 8;
    const qipLen = u1.readUInt16BE(q + 2);
    const qid = u1.readUInt16BE(q + 4);
    const qsum = u1.readUInt16BE(q + 10);
    const copy = Buffer.from(u1.subarray(q, q + 20));
    copy.writeUInt16BE(0, 10);
    const udpSum = u1.readUInt16BE(q + 20 + 6);
    const probe = udpProbe(dst, 41000, 33333);
    const data = u1.subarray(q + 28, ip.ip + ip.totalLength);
    print.set(
      'U1',
      new Map([
        ['R', 'Y'],
        ['DF', ip.df ? 'Y' : 'N'],
        ['T', hex(ip.ttl)],
        ['IPL', hex(ip.totalLength)],
        ['UN', hex(u1.readUInt32BE(icmp + 4))],
        ['RIPL', qipLen === 328 ? 'G' : hex(qipLen)],
        ['RID', qid === 0x1042 ? 'G' : hex(qid)],
        ['RIPCK', qsum === 0 ? 'Z' : checksum(copy, 0, 20) === qsum ? 'G' : 'I'],
        ['RUCK', udpSum === probe.readUInt16BE(40) ? 'G' : hex(udpSum)],
        ['RUD', data.every((b) => b === 0x43) ? 'G' : 'I'],
      ]),
    );
  } else print.set('U1', new Map([['R', 'N']]));
  if (ie1 && ie2) {
    const d1 = ipOf(ie1).df;
    const d2 = ipOf(ie2).df;
    const c1 = ie1[ipOf(ie1).l4 + 1]!;
    const c2 = ie2[ipOf(ie2).l4 + 1]!;
    print.set(
      'IE',
      new Map([
        ['R', 'Y'],
        ['DFI', d1 && d2 ? 'Y' : d1 && !d2 ? 'S' : !d1 && !d2 ? 'N' : 'O'],
        ['T', hex(ipOf(ie2).ttl)],
        ['CD', c1 === c2 ? (c1 === 0 ? 'Z' : hex(c1)) : c1 === 9 && c2 === 0 ? 'S' : 'O'],
      ]),
    );
  } else print.set('IE', new Map([['R', 'N']]));
  if (!u1) {
    for (const m of print.values()) {
      const ttl = m.get('T');
      if (ttl !== undefined) {
        const v = parseInt(ttl, 16);
        m.delete('T');
        m.set('TG', hex(v <= 32 ? 32 : v <= 64 ? 64 : v <= 128 ? 128 : 255));
      }
    }
  }
  return { print, replies };
}

function crc(b: Buffer): number {
  return CRC32.buf(b) >>> 0;
}

/** An emulated stack for `name` on 198.18.4.0/22, on a settable clock, its frames collected in `sent`. */
export function offlineStack(name: string, now: { t: number }, sent: Buffer[], path?: PathSpec): EmulatedStack {
  const db = loadOsDb();
  return new EmulatedStack({
    slug: 'test',
    fingerprint: requireFingerprint(db, name),
    db,
    blockBase: ipToInt('198.18.4.0'),
    blockSize: 1024,
    mac: Buffer.from([2, 0, 0, 0, 0, 90]),
    send: (f, l) => sent.push(Buffer.from(f.subarray(0, l))),
    classOf: fingerprintClass,
    now: () => now.t,
    ...(path !== undefined && { path }),
  });
}
