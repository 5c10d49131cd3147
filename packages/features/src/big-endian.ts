/**
 * Big-endian reads of packet fields that throw past the end of the bytes, as
 * DataView's do: parsers turn the throw into a refusal. Plain functions, not
 * a DataView: one per parsed packet cost more than the reads themselves.
 */

export function u16(data: Uint8Array, at: number): number {
  if (at < 0 || at + 2 > data.length) throw new RangeError(`offset ${at} is outside the packet`);
  return (data[at]! << 8) | data[at + 1]!;
}

export function u32(data: Uint8Array, at: number): number {
  if (at < 0 || at + 4 > data.length) throw new RangeError(`offset ${at} is outside the packet`);
  return ((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!) >>> 0;
}
