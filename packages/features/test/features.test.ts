import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeSyn, extractSynAck, featuresFromCapture } from '../src/index.ts';
import { readCapture } from '../src/index.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** A SYN-ACK built by hand: IPv4 (no options) + TCP with the given options. */
function synAck(opts: {
  ttl?: number;
  tos?: number;
  flagsOff?: number;
  id?: number;
  win?: number;
  tcpFlags?: number;
  options?: number[];
  payload?: number[];
  ack?: number;
}): Uint8Array {
  const options = opts.options ?? [];
  const tcpLen = 20 + options.length;
  const payload = opts.payload ?? [];
  const total = 20 + tcpLen + payload.length;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  b[0] = 0x45;
  b[1] = opts.tos ?? 0;
  v.setUint16(2, total);
  v.setUint16(4, opts.id ?? 0);
  v.setUint16(6, opts.flagsOff ?? 0x4000);
  b[8] = opts.ttl ?? 64;
  b[9] = 6;
  b.set([198, 18, 1, 1], 12);
  b.set([198, 18, 0, 2], 16);
  v.setUint16(20, 80);
  v.setUint16(22, 40000);
  v.setUint32(24, 12345);
  v.setUint32(28, opts.ack ?? 999);
  b[32] = (tcpLen / 4) << 4;
  b[33] = opts.tcpFlags ?? 0x12;
  v.setUint16(34, opts.win ?? 65535);
  b.set(options, 40);
  b.set(payload, 20 + tcpLen);
  return b;
}

const LINUX_OPTS = [2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 3, 3, 7];

describe('extractSynAck', () => {
  it('fills every feature column of a Linux-like SYN-ACK', () => {
    const r = extractSynAck(synAck({ ttl: 61, tos: 0x12, win: 65160, options: LINUX_OPTS }), {
      mss: 1460,
      olayout: 'mss,sok,ts,nop,ws',
    });
    expect(r).toEqual({
      ok: true,
      src: '198.18.1.1',
      dst: '198.18.0.2',
      srcPort: 80,
      dstPort: 40000,
      features: {
        ip_version: 4,
        ip_ttl: 61,
        ip_ittl: 64,
        ip_hops: 3,
        ip_df: true,
        ip_id: 0,
        ip_tos: 4,
        ip_ecn: 2,
        ip_olen: 0,
        ip_flow: null,
        ip_ext: null,
        tcp_window: 65160,
        tcp_mss: 1460,
        tcp_wscale: 7,
        tcp_sack_ok: true,
        tcp_ts: true,
        tcp_tsval: 1,
        tcp_options: '020405b40402080a0000000100000002 01030307'.replace(' ', ''),
        tcp_olayout: 'mss,sok,ts,nop,ws',
        tcp_quirks: 'df,ecn',
        tcp_wsize: 'mss*45',
        p0f_sig: '4:61+3:0:1460:mss*45,7:mss,sok,ts,nop,ws:df,ecn:0',
      },
    });
  });

  it("uses the SYN's MSS for the window only when the SYN is known, as p0f does", () => {
    const packet = synAck({ win: 1300 * 5, options: [2, 4, 0x03, 0xe8] }); // own MSS 1000
    expect(extractSynAck(packet)).toMatchObject({ features: { tcp_wsize: '6500' } });
    expect(extractSynAck(packet, { mss: 1300, olayout: 'mss' })).toMatchObject({ features: { tcp_wsize: 'mss*5' } });
    expect(extractSynAck(packet, { mss: null, olayout: '' })).toMatchObject({ features: { tcp_wsize: '6500' } });
  });

  it('reports absent options as null, and p0f prints them as 0', () => {
    const r = extractSynAck(synAck({ ttl: 128, id: 7, flagsOff: 0, win: 8192, payload: [1, 2] }));
    expect(r).toMatchObject({
      ok: true,
      features: {
        tcp_mss: null,
        tcp_wscale: null,
        tcp_tsval: null,
        tcp_ts: false,
        tcp_sack_ok: false,
        tcp_options: '',
        tcp_olayout: '',
      },
    });
    if (r.ok) expect(r.features.p0f_sig).toBe('4:128+0:0:0:8192,0:::+');
  });

  it('prints ttl+? beyond 35 hops and eol+N / ?N layouts', () => {
    const r = extractSynAck(synAck({ ttl: 70, options: [2, 4, 5, 0xb4, 30, 2, 0, 0] }));
    expect(r.ok && r.features.p0f_sig).toBe('4:70+?:0:1460:65535,0:mss,?30,eol+1:df:0');
  });

  it('rejects what p0f drops, never throwing', () => {
    expect(extractSynAck(synAck({ tcpFlags: 0x02 }))).toEqual({ ok: false, reason: 'not a SYN-ACK' });
    expect(extractSynAck(synAck({ tcpFlags: 0x13 })).ok).toBe(false); // SYN+ACK+FIN
    expect(extractSynAck(synAck({ flagsOff: 0x2000 })).ok).toBe(false); // fragment
    expect(extractSynAck(new Uint8Array(0)).ok).toBe(false);
    const full = synAck({ options: LINUX_OPTS });
    for (let n = 0; n < full.length; n++) expect(extractSynAck(full.subarray(0, n)).ok).toBe(false);
  });

  it('never throws on random bytes and mutations', () => {
    let seed = 42;
    const random = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
    const base = synAck({ options: LINUX_OPTS, payload: [1, 2, 3] });
    let accepted = 0;
    for (let i = 0; i < 20000; i++) {
      const b = i % 2 ? new Uint8Array(base) : new Uint8Array(Math.floor(random() * 80)).map(() => random() * 256);
      if (i % 2) for (let k = 0; k < 3; k++) b[Math.floor(random() * b.length)] = Math.floor(random() * 256);
      const r = extractSynAck(b);
      expect(typeof r.ok).toBe('boolean');
      if (r.ok) accepted++;
    }
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('describeSyn', () => {
  it("records the SYN's layout and MSS", () => {
    const syn = synAck({ tcpFlags: 0x02, options: LINUX_OPTS });
    expect(describeSyn(syn)).toMatchObject({
      ok: true,
      syn_olayout: 'mss,sok,ts,nop,ws',
      syn_mss: 1460,
      raw: { mss: 1460, olayout: 'mss,sok,ts,nop,ws' },
    });
    expect(describeSyn(synAck({}))).toEqual({ ok: false, reason: 'not a SYN' });
  });
});

describe('recorded fixture (generated by fixtures/gen_synacks.py, signatures printed by p0f 3.09b)', () => {
  it("gives p0f's raw_sig for every SYN-ACK p0f reported", async () => {
    const expected = new Map(
      readFileSync(fixture('synacks.p0f-raw-sigs.txt'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => [Number(line.slice(0, line.indexOf(' '))), line.slice(line.indexOf(' ') + 1)] as const),
    );
    const ours = new Map<number, string>();
    for await (const r of featuresFromCapture(fixture('synacks.pcap')))
      if (r.syn) ours.set(r.dst_port, r.features.p0f_sig);
    expect(expected.size).toBeGreaterThan(400);
    expect(ours).toEqual(expected);
  });

  it('reads every packet with its time', async () => {
    let n = 0;
    for await (const p of readCapture(fixture('synacks.pcap'))) {
      expect(p.linkType).toBe(101);
      expect(p.ipPacket).not.toBeNull();
      if (n === 1) expect(p.ts.toISOString()).toBe('2023-11-14T22:13:20.001Z');
      n++;
    }
    expect(n).toBe(1517);
  });
});
