/**
 * The binary stream the capture process writes to its parent: self-delimiting
 * frames, so that many packets travel in one pipe write (batch transfer) and
 * the parent decodes them without JSON or base64.
 *
 *   packet frame: u8 kind (1 = SYN-ACK, 2 = own SYN) | u16 length | f64 epoch ms | length bytes
 *   synced frame: u8 kind 3 | u32 sync id
 *   stats frame:  u8 kind 4 | u32 packets read | u32 SYN-ACKs forwarded | u32 read errors
 *   watching frame: u8 kind 5 | u16 port (answer to watch-syn: SYNs to PORT are kept from now on)
 *
 * Commands from the parent are text lines on the child's stdin:
 *   `sync ID`   read the socket until it is empty, then answer `synced ID`
 *   `watch-syn PORT` / `unwatch-syn PORT`  also forward SYNs sent to PORT (learning our own SYN)
 *   `stats`     answer with a stats frame
 */

export const FRAME_SYNACK = 1;
export const FRAME_SYN = 2;
export const FRAME_SYNCED = 3;
export const FRAME_STATS = 4;
export const FRAME_WATCHING = 5;

export type CaptureFrame =
  | { kind: 'synack' | 'syn'; packet: Uint8Array; receivedAt: number }
  | { kind: 'synced'; id: number }
  | { kind: 'stats'; packetsRead: number; synAcksForwarded: number; readErrors: number }
  | { kind: 'watching'; port: number };

export function encodePacketFrame(
  kind: typeof FRAME_SYNACK | typeof FRAME_SYN,
  packet: Uint8Array,
  receivedAt: number,
): Buffer {
  const frame = Buffer.allocUnsafe(11 + packet.length);
  frame.writeUInt8(kind, 0);
  frame.writeUInt16BE(packet.length, 1);
  frame.writeDoubleBE(receivedAt, 3);
  frame.set(packet, 11);
  return frame;
}

export function encodeSyncedFrame(id: number): Buffer {
  const frame = Buffer.allocUnsafe(5);
  frame.writeUInt8(FRAME_SYNCED, 0);
  frame.writeUInt32BE(id >>> 0, 1);
  return frame;
}

export function encodeStatsFrame(packetsRead: number, synAcksForwarded: number, readErrors: number): Buffer {
  const frame = Buffer.allocUnsafe(13);
  frame.writeUInt8(FRAME_STATS, 0);
  frame.writeUInt32BE(packetsRead >>> 0, 1);
  frame.writeUInt32BE(synAcksForwarded >>> 0, 5);
  frame.writeUInt32BE(readErrors >>> 0, 9);
  return frame;
}

export function encodeWatchingFrame(port: number): Buffer {
  const frame = Buffer.allocUnsafe(3);
  frame.writeUInt8(FRAME_WATCHING, 0);
  frame.writeUInt16BE(port, 1);
  return frame;
}

/** Decodes frames from a byte stream that arrives in arbitrary chunks. */
export class CaptureFrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  /** Feeds one chunk; returns every frame completed by it. Throws on an unknown frame kind (a corrupt stream). */
  push(chunk: Buffer): CaptureFrame[] {
    const data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: CaptureFrame[] = [];
    let at = 0;
    for (;;) {
      if (at >= data.length) break;
      const kind = data[at]!;
      if (kind === FRAME_SYNACK || kind === FRAME_SYN) {
        if (data.length - at < 11) break;
        const length = data.readUInt16BE(at + 1);
        if (data.length - at < 11 + length) break;
        const receivedAt = data.readDoubleBE(at + 3);
        // Copy: the packet outlives this chunk (it waits in the table for its probe).
        const packet = new Uint8Array(length);
        packet.set(data.subarray(at + 11, at + 11 + length));
        frames.push({ kind: kind === FRAME_SYNACK ? 'synack' : 'syn', packet, receivedAt });
        at += 11 + length;
      } else if (kind === FRAME_SYNCED) {
        if (data.length - at < 5) break;
        frames.push({ kind: 'synced', id: data.readUInt32BE(at + 1) });
        at += 5;
      } else if (kind === FRAME_STATS) {
        if (data.length - at < 13) break;
        frames.push({
          kind: 'stats',
          packetsRead: data.readUInt32BE(at + 1),
          synAcksForwarded: data.readUInt32BE(at + 5),
          readErrors: data.readUInt32BE(at + 9),
        });
        at += 13;
      } else if (kind === FRAME_WATCHING) {
        if (data.length - at < 3) break;
        frames.push({ kind: 'watching', port: data.readUInt16BE(at + 1) });
        at += 3;
      } else {
        throw new Error(`capture stream corrupt: unknown frame kind ${kind} at byte ${at}`);
      }
    }
    this.pending = at === data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(at));
    return frames;
  }
}
