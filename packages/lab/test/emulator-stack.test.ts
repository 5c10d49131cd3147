import { describe, expect, it } from 'vitest';
import { DEFAULT_EMULATED, fingerprintClass, loadOsDb, requireFingerprint, DEFAULT_OS_DB } from '../src/index.ts';
import { existsSync } from 'node:fs';
import { matchesExpression } from '../src/emulator/expressions.ts';
import { TCP_FLAGS } from '../src/emulator/host-profile.ts';
import { ipToInt, readIpv4, readTcp, writeTcpFrame } from '../src/emulator/packets.ts';
import { accuracy, rankPrints } from '../src/emulator/scoring.ts';
import { offlineScan, offlineStack } from './nmap-offline.ts';

const installed = existsSync(DEFAULT_OS_DB);

describe.skipIf(!installed)('emulated stack, probed offline the way Nmap probes', () => {
  for (const def of DEFAULT_EMULATED) {
    it(`answers every probe as "${def.fingerprint}" says, and Nmap's ranking puts it first`, () => {
      const now = { t: 1_000 };
      const sent: Buffer[] = [];
      const stack = offlineStack(def.fingerprint, now, sent);
      const db = loadOsDb();
      const fp = requireFingerprint(db, def.fingerprint);
      for (const host of ['198.18.4.17', '198.18.5.200']) {
        const { print } = offlineScan(stack, host, sent, 1_000 + Math.random());
        const acc = accuracy(fp, print, db);
        const mismatches = [...print].flatMap(([test, attrs]) =>
          [...attrs]
            .filter(([k, v]) => {
              const e = fp.tests.get(test)?.get(k);
              return e !== undefined && !matchesExpression(v, e);
            })
            .map(([k, v]) => `${test}.${k}=${v} (${fp.tests.get(test)?.get(k)})`),
        );
        expect(mismatches, `${def.slug} ${host}`).toEqual([]);
        expect(acc).toBe(1);
        const top = rankPrints(print, db, 3)[0]!;
        expect(fingerprintClass(top.fingerprint), `${def.slug}: top print ${top.fingerprint.name}`).toBe(
          def.expectedClass,
        );
      }
    }, 60_000);
  }
});

describe.skipIf(!installed)('emulated stack: HTTP over its TCP connections', () => {
  const { SYN, ACK, FIN, PSH, RST } = TCP_FLAGS;
  const client = ipToInt('198.18.0.10');
  const host = ipToInt('198.18.4.9');
  const mk = (flags: number, seq: number, ack: number, payload: Buffer | null = null, ts = true): Buffer => {
    const out = Buffer.alloc(600);
    const len = writeTcpFrame(
      out,
      {
        srcMac: Buffer.from([2, 0, 0, 0, 0, 10]),
        dstMac: Buffer.from([2, 0, 0, 0, 0, 90]),
        src: client,
        dst: host,
        ttl: 64,
        df: true,
        id: 1,
      },
      {
        srcPort: 50000,
        dstPort: 80,
        seq,
        ack,
        flags,
        window: 64240,
        options:
          flags & SYN
            ? [
                { kind: 'mss', value: 1460 },
                { kind: 'sack' },
                ...(ts ? [{ kind: 'ts' as const, val: true, ecr: false }] : []),
                { kind: 'nop' },
                { kind: 'ws', value: 7 },
              ]
            : ts
              ? [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: true, ecr: true }]
              : [],
        tsVal: 12345,
        tsEcr: 1,
        payload,
      },
    );
    return Buffer.from(out.subarray(0, len));
  };
  const read = (b: Buffer) => {
    const ip = readIpv4(b, b.length)!;
    return { ip, tcp: readTcp(b, ip)! };
  };

  it('completes the handshake with the fingerprint SYN-ACK, answers the GET with body and FIN, and retransmits what is not acknowledged', () => {
    const now = { t: 5_000 };
    const sent: Buffer[] = [];
    const stack = offlineStack('Microsoft Windows Server 2016', now, sent);
    const syn = mk(SYN, 1000, 0);
    stack.handleFrame(syn, syn.length, now.t);
    const synAck = read(sent.shift()!);
    expect(synAck.tcp.flags).toBe(SYN | ACK);
    expect(synAck.tcp.ack).toBe(1001);
    expect(synAck.ip.ttl).toBe(128);
    const iss = synAck.tcp.seq;
    const get = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    stack.handleFrame(mk(ACK, 1001, iss + 1), mk(ACK, 1001, iss + 1).length, now.t);
    expect(sent).toHaveLength(0);
    const g = mk(ACK | PSH, 1001, iss + 1, get);
    stack.handleFrame(g, g.length, now.t);
    const resp = read(sent.shift()!);
    expect(resp.tcp.flags).toBe(ACK | PSH | FIN);
    expect(resp.tcp.ack).toBe(1001 + get.length);
    expect(resp.tcp.payloadLength).toBeGreaterThan(100);
    // Not acknowledged: sent again after the RTO, with backoff.
    now.t += 0.25;
    stack.tick();
    expect(sent).toHaveLength(1);
    expect(read(sent.shift()!).tcp.seq).toBe(resp.tcp.seq);
    now.t += 0.25;
    stack.tick();
    expect(sent).toHaveLength(0);
    now.t += 0.5;
    stack.tick();
    expect(sent).toHaveLength(1);
    sent.length = 0;
    // The client acknowledges data and FIN, and closes too: we ACK its FIN and forget the connection.
    const fin = mk(ACK | FIN, 1001 + get.length, resp.tcp.seq + resp.tcp.payloadLength + 1);
    stack.handleFrame(fin, fin.length, now.t);
    expect(read(sent.shift()!).tcp.ack).toBe(1001 + get.length + 1);
    expect(stack.connectionStats.open).toBe(0);
    expect(stack.connectionStats.completed).toBe(1);
  });

  it('resends its SYN-ACK for a retransmitted SYN, gives up after a few tries, and forgets a reset connection', () => {
    const now = { t: 9_000 };
    const sent: Buffer[] = [];
    const stack = offlineStack('Linux 2.6.32', now, sent);
    const syn = mk(SYN, 77, 0);
    stack.handleFrame(syn, syn.length, now.t);
    stack.handleFrame(syn, syn.length, now.t + 1);
    expect(sent.map((b) => read(b).tcp.seq)).toEqual([read(sent[0]!).tcp.seq, read(sent[0]!).tcp.seq]);
    for (let i = 0; i < 10; i++) {
      now.t += 40;
      stack.tick();
    }
    expect(stack.connectionStats.open).toBe(0);
    expect(stack.connectionStats.expired).toBe(1);
    sent.length = 0;
    stack.handleFrame(syn, syn.length, now.t);
    const rst = mk(RST, 78, 0);
    stack.handleFrame(rst, rst.length, now.t);
    expect(stack.connectionStats.open).toBe(0);
    expect(stack.connectionStats.reset).toBe(1);
  });

  it('answers a SYN without timestamps as the ECN probe', () => {
    const now = { t: 100 };
    const sent: Buffer[] = [];
    const stack = offlineStack('Linux 5.4', now, sent);
    const syn = mk(SYN, 5, 0, null, false);
    stack.handleFrame(syn, syn.length, now.t);
    const a = read(sent.shift()!);
    expect(a.tcp.tsVal).toBeNull();
    const db = loadOsDb();
    const ecnW = requireFingerprint(db, 'Linux 5.4').tests.get('ECN')?.get('W') ?? '';
    expect(matchesExpression(a.tcp.window.toString(16).toUpperCase(), ecnW)).toBe(true);
  });

  it('answers only the HTTP port when firewalled: other TCP ports, UDP and ICMP get silence', () => {
    const now = { t: 100 };
    const sent: Buffer[] = [];
    const stack = offlineStack('Linux 5.4', now, sent, { firewalled: true });
    const out = Buffer.alloc(200);
    const toPort = (port: number): Buffer => {
      const len = writeTcpFrame(
        out,
        {
          srcMac: Buffer.from([2, 0, 0, 0, 0, 10]),
          dstMac: Buffer.from([2, 0, 0, 0, 0, 90]),
          src: client,
          dst: host,
          ttl: 64,
          df: true,
          id: 1,
        },
        {
          srcPort: 50001,
          dstPort: port,
          seq: 9,
          ack: 0,
          flags: SYN,
          window: 1024,
          options: [{ kind: 'mss', value: 1460 }],
        },
      );
      return Buffer.from(out.subarray(0, len));
    };
    for (const frame of [toPort(1), toPort(22)]) stack.handleFrame(frame, frame.length, now.t);
    expect(sent).toHaveLength(0);
    const open = toPort(80);
    stack.handleFrame(open, open.length, now.t);
    expect(sent).toHaveLength(1);
    expect(read(sent[0]!).tcp.flags).toBe(SYN | ACK);
  });

  it('holds frames for the path delay, and drops them all at 100 % loss', async () => {
    const sent: Buffer[] = [];
    const now = { t: (performance.timeOrigin + performance.now()) / 1000 };
    const stack = offlineStack('Linux 5.4', now, sent, { delay: { kind: 'fixed', ms: 30 } });
    const syn = mk(SYN, 5, 0);
    const started = performance.now();
    stack.handleFrame(syn, syn.length);
    expect(sent).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 120));
    expect(sent).toHaveLength(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(60);
    const lossy = offlineStack('Linux 5.4', now, sent, { lossIn: 1 });
    lossy.handleFrame(syn, syn.length);
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toHaveLength(1);
    stack.close();
    lossy.close();
  });
});
