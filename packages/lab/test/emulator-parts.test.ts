import { describe, expect, it } from 'vitest';
import {
  forgeCrc32,
  crc32,
  checksum,
  writeTcpFrame,
  writeIcmpFrame,
  readIpv4,
  readTcp,
  nmapOptionString,
  optionsLength,
} from '../src/emulator/packets.ts';
import { parseOptionString, optionString, ordinarySyn, type TcpAnswer } from '../src/emulator/host-profile.ts';
import {
  fitIsnModel,
  IpIdCounter,
  IsnGenerator,
  nmapIpIdClass,
  nmapSeqValues,
  nmapTsValue,
  seqMatches,
  TsClock,
  tsHzFor,
} from '../src/emulator/sequences.ts';
import { portUnreachableQuote, echoReplyShape } from '../src/emulator/icmp-udp.ts';
import { DelayLine, hostPath, pathSeed } from '../src/emulator/path.ts';
import { seededRng } from '../src/emulator/random.ts';
import { ConnTable, type ConnOutput } from '../src/emulator/tcp-connection.ts';

const mac = (n: number) => Buffer.from([2, 0, 0, 0, 0, n]);

describe('packets', () => {
  it('writes TCP frames whose IP and TCP checksums verify, with options in the given order', () => {
    const out = Buffer.alloc(200);
    const options = parseOptionString('M5B4NW8ST11')!;
    const len = writeTcpFrame(
      out,
      { srcMac: mac(1), dstMac: mac(2), src: 0xc6120405, dst: 0xc612000a, ttl: 128, df: true, id: 77 },
      {
        srcPort: 80,
        dstPort: 40000,
        seq: 1,
        ack: 2,
        flags: 0x12,
        window: 8192,
        options,
        tsVal: 5,
        tsEcr: 0xffffffff,
      },
    );
    const frame = out.subarray(0, len);
    const ip = readIpv4(frame, len)!;
    expect(checksum(frame, 14, 34)).toBe(0);
    const tcpLen = len - 34;
    const pseudo = (ip.src >>> 16) + (ip.src & 0xffff) + (ip.dst >>> 16) + (ip.dst & 0xffff) + 6 + tcpLen;
    expect(checksum(frame, 34, len, pseudo)).toBe(0);
    const tcp = readTcp(frame, ip)!;
    expect(ip).toMatchObject({ ttl: 128, df: true, id: 77 });
    expect(nmapOptionString(frame.subarray(tcp.optionsOffset, tcp.optionsOffset + tcp.optionsLength))).toBe(
      'M5B4NW8ST11',
    );
    expect(tcp.tsVal).toBe(5);
    expect(optionsLength(options)).toBe(20);
  });

  it('pads option strings that are not word-aligned with EOL bytes', () => {
    const out = Buffer.alloc(200);
    const len = writeTcpFrame(
      out,
      { srcMac: mac(1), dstMac: mac(2), src: 1, dst: 2, ttl: 64, df: false, id: 1 },
      {
        srcPort: 1,
        dstPort: 2,
        seq: 0,
        ack: 0,
        flags: 0x12,
        window: 1,
        options: parseOptionString('M218')!.concat(parseOptionString('W0')!),
      },
    );
    const tcp = readTcp(out.subarray(0, len), readIpv4(out, len)!)!;
    expect(tcp.optionsLength).toBe(8);
    expect(nmapOptionString(out.subarray(tcp.optionsOffset, tcp.optionsOffset + 8))).toBe('M218W0L');
  });

  it("forges a RST payload with any CRC-32 (Nmap's RD)", () => {
    for (const target of [0, 1, 0x44bd347e, 0x9c2e7b31, 0xffffffff])
      expect(crc32(forgeCrc32(target))).toBe(target >>> 0);
  });

  it('parses and prints Nmap option strings both ways', () => {
    for (const s of ['M5B4NW8ST11', 'M5B4NNSNW0NNT11', 'M109NNSNNT11', 'NNT11', '', 'M5B4ST11NW7', 'WANNT11L'])
      expect(optionString(parseOptionString(s)!)).toBe(s);
    expect(parseOptionString('M5B4X')).toBeNull();
  });
});

describe('ICMP answers', () => {
  it('quotes the UDP datagram with the U1 quirks', () => {
    const frame = Buffer.alloc(14 + 328);
    frame.writeUInt16BE(0x0800, 12);
    frame[14] = 0x45;
    frame.writeUInt16BE(328, 16);
    frame.writeUInt16BE(0x1042, 18);
    frame[23] = 17;
    frame.writeUInt16BE(checksum(frame, 14, 34), 24);
    frame.writeUInt16BE(0xabcd, 40);
    frame.fill(0x43, 42);
    const ip = readIpv4(frame, frame.length)!;
    const good = portUnreachableQuote(frame, ip, {
      df: false,
      ttl: 64,
      ipl: 0x164,
      unused: 0,
      ripl: null,
      rid: null,
      ripck: 'G',
      ruck: null,
      rudIntact: true,
    });
    expect(good.length).toBe(328);
    expect(checksum(good, 0, 20)).toBe(0);
    const odd = portUnreachableQuote(frame, ip, {
      df: false,
      ttl: 64,
      ipl: 0x38,
      unused: 0,
      ripl: 0x134,
      rid: 0x4210,
      ripck: 'Z',
      ruck: 0,
      rudIntact: false,
    });
    expect(odd.length).toBe(28);
    expect(odd.readUInt16BE(2)).toBe(0x134);
    expect(odd.readUInt16BE(4)).toBe(0x4210);
    expect(odd.readUInt16BE(10)).toBe(0);
    expect(odd.readUInt16BE(26)).toBe(0);
  });

  it('shapes echo replies by DFI and CD', () => {
    expect(echoReplyShape({ dfi: 'S', ttl: 64, cd: { kind: 'S' } }, true, 9)).toEqual({ df: true, code: 9 });
    expect(echoReplyShape({ dfi: 'O', ttl: 64, cd: { kind: 'Z' } }, true, 9)).toEqual({ df: false, code: 0 });
    expect(echoReplyShape({ dfi: 'Y', ttl: 64, cd: { kind: 'value', code: 0x88 } }, false, 0)).toEqual({
      df: true,
      code: 0x88,
    });
    const out = Buffer.alloc(100);
    const len = writeIcmpFrame(
      out,
      { srcMac: mac(1), dstMac: mac(2), src: 1, dst: 2, ttl: 64, df: false, id: 3 },
      0,
      0,
      0x12340001,
      Buffer.alloc(10),
    );
    expect(checksum(out, 34, len)).toBe(0);
  });
});

describe('sequences', () => {
  const send = [0, 0.1, 0.2, 0.3, 0.4, 0.5];
  it("computes Nmap's GCD, ISR and SP", () => {
    expect(nmapSeqValues([1000, 1000, 1000, 1000, 1000, 1000], send)).toEqual({ gcd: 0, isr: 0, sp: 0 });
    // A constant 64,000 per 100 ms: GCD 64000, rate 640,000/s -> ISR round(8*log2(640000)) = 154, steady -> SP 0.
    expect(nmapSeqValues([0, 64000, 128000, 192000, 256000, 320000], send)).toEqual({ gcd: 64000, isr: 154, sp: 0 });
    expect(nmapSeqValues([1, 2, 3], send.slice(0, 3))).toBeNull();
  });

  it('classifies IP ID sequences like Nmap', () => {
    expect(nmapIpIdClass([0, 0, 0, 0])).toBe('Z');
    expect(nmapIpIdClass([5, 5, 5])).toBe('constant');
    expect(nmapIpIdClass([10, 11, 12, 14])).toBe('I');
    expect(nmapIpIdClass([256, 512, 1024, 1280])).toBe('BI');
    expect(nmapIpIdClass([100, 1300, 2700, 3900])).toBe('RI');
    expect(nmapIpIdClass([100, 30000, 500, 60000])).toBe('RD');
  });

  it('makes IP ID counters that Nmap classifies as their class, over six samples', () => {
    const rng = seededRng(3);
    for (const kind of ['Z', 'RD', 'RI', 'BI', 'I'] as const) {
      for (let trial = 0; trial < 50; trial++) {
        const c = new IpIdCounter({ kind }, rng);
        const ids = Array.from({ length: 6 }, (_, i) => c.next(i * 0.1));
        expect(nmapIpIdClass(ids), `${kind}: ${ids.join(',')}`).toBe(kind);
      }
    }
    expect(
      nmapIpIdClass(Array.from({ length: 3 }, () => new IpIdCounter({ kind: 'constant', value: 0x1234 }, rng).next(0))),
    ).toBe('constant');
  });

  it('fits ISN generators whose Nmap readings land in the ranges', () => {
    for (const targets of [
      { gcd: '1-6', isr: '105-10F', sp: 'EF-F9' },
      { gcd: '1-6', isr: 'C8-D2', sp: 'C0-CA' },
      { gcd: '51E80C|A3D018|F5B824', isr: 'C8-D2', sp: '0-5' },
      { gcd: 'FA00|1F400|2EE00|3E800|4E200', isr: '96-A0', sp: 'B-15' },
      { gcd: '0', isr: '0', sp: '0' },
    ]) {
      const { model, hitRate } = fitIsnModel(targets, 9);
      expect(hitRate, JSON.stringify(targets)).toBeGreaterThanOrEqual(0.9);
      const rng = seededRng(5);
      let hits = 0;
      for (let trial = 0; trial < 40; trial++) {
        const g = new IsnGenerator(model, rng);
        const times = send.map((t) => 50 + trial + t + rng.float() * 0.002);
        if (
          seqMatches(
            nmapSeqValues(
              times.map((t) => g.next(t + 0.001)),
              times,
            ),
            targets,
          )
        )
          hits++;
      }
      expect(hits, JSON.stringify(targets)).toBeGreaterThanOrEqual(36);
    }
  });

  it('ticks TCP timestamps at the rate the TS class names', () => {
    const rng = seededRng(1);
    for (const ts of ['1', '7', '8', 'A', '21']) {
      const clock = new TsClock(tsHzFor(ts)!, rng);
      const times = [0, 0.1, 0.2, 0.3, 0.4, 0.5].map((t) => 10 + t);
      expect(
        nmapTsValue(
          times.map((t) => clock.value(t)),
          times,
        ),
        ts,
      ).toBe(ts);
    }
    expect(tsHzFor('U')).toBeNull();
    expect(tsHzFor('0')).toBe(0);
  });
});

describe('ordinary SYN rule', () => {
  const answer = (options: string, window: number): TcpAnswer => ({
    df: true,
    ttl: 64,
    window,
    seq: 'O',
    ack: 'S+',
    flags: 0x12,
    options: parseOptionString(options)!,
    rstDataCrc: null,
    reservedBits: false,
    urgentPointer: false,
  });
  it('answers a SYN with timestamps as SEQ probe 1 (O1/W1) and one without as the ECN probe', () => {
    const t1 = answer('M5B4ST11NW7', 0x16a0);
    const ecn = answer('M5B4NNSNW7', 0x16d0);
    expect(ordinarySyn(t1, ecn, true).window).toBe(0x16a0);
    expect(ordinarySyn(t1, ecn, false).window).toBe(0x16d0);
    expect(optionString(ordinarySyn(null, ecn, true).options)).toBe('M5B4NNSNW7');
    expect(optionString(ordinarySyn(t1, null, false).options)).toBe('M5B4SNW7');
  });
});

describe('path conditions', () => {
  it('drops, duplicates and delays as specified, the base delay fixed per host', () => {
    const lossy = hostPath(
      {
        lossIn: 0.25,
        duplicate: 0.1,
        delay: { kind: 'uniform', minMs: 50, maxMs: 250 },
        jitter: { kind: 'fixed', ms: 1 },
      },
      42,
    );
    expect(lossy.baseMs).toBeGreaterThanOrEqual(50);
    expect(lossy.baseMs).toBeLessThanOrEqual(250);
    let lost = 0;
    let dup = 0;
    for (let i = 0; i < 4000; i++) {
      const d = lossy.schedule('in');
      if (d.length === 0) lost++;
      if (d.length === 2) dup++;
      for (const ms of d) expect(ms).toBeGreaterThanOrEqual(lossy.baseMs);
    }
    expect(lost / 4000).toBeGreaterThan(0.2);
    expect(lost / 4000).toBeLessThan(0.3);
    expect(dup / 4000).toBeGreaterThan(0.05);
    expect(hostPath({ delay: { kind: 'lognormal', medianMs: 80, sigma: 0.5 } }, 42).baseMs).toBe(
      hostPath({ delay: { kind: 'lognormal', medianMs: 80, sigma: 0.5 } }, 42).baseMs,
    );
  });

  it('firewalls and SYN cookies are per host: a share of the hosts, drawn once from the address', () => {
    const paths = Array.from({ length: 2000 }, (_, n) =>
      hostPath({ firewalled: 0.3, synCookies: 0.2 }, pathSeed(0xc6130000 + n)),
    );
    expect(paths.filter((p) => p.firewalled).length / 2000).toBeCloseTo(0.3, 1);
    expect(paths.filter((p) => p.synCookies).length / 2000).toBeCloseTo(0.2, 1);
    const walled = paths.find((p) => p.firewalled)!;
    expect([walled.passes(80), walled.passes(443), walled.passes(22), walled.passes(null)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(hostPath({ firewalled: true, openPorts: [8080] }, 1).passes(80)).toBe(false);
    // Round trips are what profiles speak: each way gets half.
    expect(hostPath({ rtt: { kind: 'fixed', ms: 90 } }, 1).baseMs).toBe(45);
  });

  it('a SYN-cookie connection keeps no SYN-ACK to retransmit (the client must send its SYN again)', () => {
    const out: ConnOutput[] = [];
    const table = new ConnTable(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'), (_c, o) => out.push(o));
    const answer = ordinarySyn(null, null, false);
    const conn = table.open('k', 1, 1000, 2, 80, 5000, null, answer, 777, 0, undefined, true);
    expect(out.splice(0)).toMatchObject([{ synAck: true, seq: 777 }]);
    table.tick(5000);
    expect(out).toEqual([]);
    table.segment(conn, 0x02, 5000, 0, null, Buffer.alloc(0), 6000);
    expect(out.splice(0)).toMatchObject([{ synAck: true, seq: 777 }]);
  });

  it('delivers held items in time order with one timer', async () => {
    const got: number[] = [];
    const line = new DelayLine<number>((n) => got.push(n));
    line.push(3, 30);
    line.push(1, 10);
    line.push(2, 20);
    line.push(0, 0);
    expect(got).toEqual([0]);
    await new Promise((r) => setTimeout(r, 60));
    expect(got).toEqual([0, 1, 2, 3]);
    line.close();
  });
});

describe('TCP stream mode (HTTPS underneath)', () => {
  it('cuts writes into MSS segments, keeps them until acknowledged, retransmits, and ends with FIN', () => {
    const out: ConnOutput[] = [];
    const got: string[] = [];
    let ended = false;
    const table = new ConnTable(Buffer.alloc(0), (_c, o) => out.push(o));
    const answer = ordinarySyn(null, null, false);
    const conn = table.open('k', 1, 1000, 2, 443, 5000, null, answer, 100, 0, {
      peerMss: 100,
      attach: () => ({ data: (c) => got.push(c.toString()), end: () => (ended = true), abort: () => undefined }),
    });
    expect(out.shift()?.synAck).toBe(true);
    table.segment(conn, 0x10, 5001, 101, null, Buffer.alloc(0), 1);
    table.segment(conn, 0x18, 5001, 101, null, Buffer.from('hello'), 2);
    expect(got).toEqual(['hello']);
    expect(out.shift()).toMatchObject({ flags: 0x10, ack: 5006 });
    table.write(conn, Buffer.alloc(250, 1), 3);
    expect(out.map((o) => [o.seq, o.payload?.length])).toEqual([
      [101, 100],
      [201, 100],
      [301, 50],
    ]);
    out.length = 0;
    table.segment(conn, 0x10, 5006, 201, null, Buffer.alloc(0), 4);
    table.tick(4 + conn.rtoMs);
    expect(out.map((o) => [o.seq, o.payload?.length])).toEqual([
      [201, 100],
      [301, 50],
    ]);
    out.length = 0;
    table.end(conn, 5000);
    expect(out.shift()).toMatchObject({ flags: 0x11, seq: 351 });
    table.segment(conn, 0x11, 5006, 352, null, Buffer.alloc(0), 5001);
    expect(ended).toBe(true);
    expect(table.conns.size).toBe(0);
    expect(table.stats.completed).toBe(1);
  });
});
