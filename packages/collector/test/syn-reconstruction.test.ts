import { describe, expect, it } from 'vitest';
import { describeSyn } from '@osfp/features';
import { reconstructSyn } from '../src/probe/syn-reconstruction.ts';

// Captured on this machine: our SYN to a loopback listener, and a SYN-ACK from another connection.
const template = Buffer.from(
  '4500003cf163400040064b567f0000017f000001c17a81052e392a2300000000a002ffd7fe3000000204ffd70402080ab658770f000000000103030a',
  'hex',
);
const synAck = Buffer.from(
  '4500003c00004000400623a8c6130001c612000a0050d0d4aaa79d3011223345a012ffcbfe3000000204ffd70402080a79c42888b658770f0103030a',
  'hex',
);

/** Internet checksum over [start, end) plus an initial sum; 0 when the stored checksum is right. */
function fold(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  for (let i = start; i < end; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

describe('reconstructSyn', () => {
  it('rebuilds the SYN a SYN-ACK answers: addresses, ports, sequence, MSS, valid checksums', () => {
    const syn = reconstructSyn(template, synAck, 1460)!;
    const view = Buffer.from(syn);
    expect([...view.subarray(12, 16)].join('.')).toBe('198.18.0.10');
    expect([...view.subarray(16, 20)].join('.')).toBe('198.19.0.1');
    expect(view.readUInt16BE(20)).toBe(0xd0d4);
    expect(view.readUInt16BE(22)).toBe(80);
    expect(view.readUInt32BE(24)).toBe(0x11223344); // the SYN-ACK acknowledges 0x11223345
    const described = describeSyn(syn);
    expect(described).toMatchObject({
      ok: true,
      syn_mss: 1460,
      syn_olayout: 'mss,sok,ts,nop,ws',
      src: '198.18.0.10',
      dst: '198.19.0.1',
    });
    expect(fold(syn, 0, 20)).toBe(0);
    const pseudo =
      view.readUInt16BE(12) +
      view.readUInt16BE(14) +
      view.readUInt16BE(16) +
      view.readUInt16BE(18) +
      6 +
      (syn.length - 20);
    expect(fold(syn, 20, syn.length, pseudo)).toBe(0);
  });

  it('keeps the template MSS when none is given, and refuses what is not IPv4/TCP', () => {
    expect(describeSyn(reconstructSyn(template, synAck, null)!)).toMatchObject({ ok: true, syn_mss: 65495 });
    expect(reconstructSyn(Uint8Array.of(1, 2, 3), synAck, 1460)).toBeNull();
    expect(reconstructSyn(template, Uint8Array.of(0x45), 1460)).toBeNull();
  });
});
