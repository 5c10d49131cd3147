/**
 * Rebuilds the SYN that a captured SYN-ACK answers, for the pcap archive: a
 * raw socket never sees our outbound SYNs, but every probe's SYN is the
 * start-up SYN (same stack, same options) with its own addresses, ports,
 * sequence number (the SYN-ACK acknowledges it + 1) and the route's MSS.
 * `osfp features` and p0f then read the archive with the right SYN context.
 */
import { tcpOffset } from '@osfp/features';

function checksum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  for (let i = start; i < end; i += 2) sum += (bytes[i]! << 8) | (i + 1 < end ? bytes[i + 1]! : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The SYN for `synAck` built from `template`; null when either is not a whole IPv4/TCP packet. */
export function reconstructSyn(template: Uint8Array, synAck: Uint8Array, mss: number | null): Uint8Array | null {
  const t = tcpOffset(template);
  const a = tcpOffset(synAck);
  if (t < 0 || a < 0) return null;
  const syn = Uint8Array.from(template);
  const view = new DataView(syn.buffer);
  syn.set(synAck.subarray(16, 20), 12); // our address: where the SYN-ACK went
  syn.set(synAck.subarray(12, 16), 16); // the server's address
  syn.set(synAck.subarray(a + 2, a + 4), t); // our port
  syn.set(synAck.subarray(a, a + 2), t + 2); // the server's port
  const ack = new DataView(synAck.buffer, synAck.byteOffset, synAck.byteLength).getUint32(a + 8);
  view.setUint32(t + 4, (ack - 1) >>> 0);
  if (mss !== null) {
    const dataOffset = (syn[t + 12]! >> 4) * 4;
    for (let o = t + 20; o < t + dataOffset;) {
      const kind = syn[o]!;
      if (kind === 0) break;
      if (kind === 1) {
        o++;
        continue;
      }
      const length = syn[o + 1] ?? 0;
      if (length < 2) break;
      if (kind === 2 && length === 4) view.setUint16(o + 2, mss);
      o += length;
    }
  }
  view.setUint16(10, 0);
  view.setUint16(10, checksum(syn, 0, t));
  const tcpLength = syn.length - t;
  const pseudo =
    ((syn[12]! << 8) | syn[13]!) +
    ((syn[14]! << 8) | syn[15]!) +
    ((syn[16]! << 8) | syn[17]!) +
    ((syn[18]! << 8) | syn[19]!) +
    6 +
    tcpLength;
  view.setUint16(t + 16, 0);
  view.setUint16(t + 16, checksum(syn, t, syn.length, pseudo));
  return syn;
}
