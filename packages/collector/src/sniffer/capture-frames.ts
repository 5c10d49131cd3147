/**
 * The binary stream the raw-socket capture process writes to its parent: self-delimiting
 * frames, so that many packets travel in one pipe write (batch transfer) and
 * the parent decodes them without JSON or base64.
 *
 *   SYN-ACK frame: u8 kind 1 | u16 length | f64 epoch ms | u16 SYN length | f64 SYN epoch ms | u8 SYN sends
 *                  | u8 answer | length bytes (the SYN-ACK) | SYN length bytes (the SYN it answers; 0 = unknown)
 *   SYN frame:    u8 kind 2 | u16 length | f64 epoch ms | length bytes (a SYN to a watched port)
 *   synced frame: u8 kind 3 | u32 sync id
 *   stats frame:  u8 kind 4 | u32 packets read | u32 SYN-ACKs forwarded | u32 read errors | u32 foreign SYN-ACKs
 *                 | u32 retransmitted SYNs | f64 CPU ms of the capture process
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

/** The SYN a SYN-ACK answers, as the capture paired it. */
export interface AnsweredSyn {
  readonly packet: Uint8Array;
  /** When it was first captured (epoch ms). */
  readonly sentAt: number;
  /** Times it was captured: 2+ = retransmitted. */
  readonly sends: number;
}

export interface CaptureCounts {
  packetsRead: number;
  synAcksForwarded: number;
  readErrors: number;
  /** SYN-ACKs dropped because they acknowledge another SYN than the one last sent on their 4-tuple. */
  foreignSynAcks: number;
  retransmittedSyns: number;
  /**
   * CPU the capture has used, ms: the raw socket's process's (user + system);
   * for libpcap, which runs in the prober's process, the time spent handling
   * captured packets.
   */
  cpuMs: number;
}

export type CaptureFrame =
  | {
      kind: 'synack';
      packet: Uint8Array;
      receivedAt: number;
      /** Null when the capture does not see our SYNs (raw socket) or missed this one. */
      syn: AnsweredSyn | null;
      /** 1 for the first SYN-ACK answering `syn`, 2+ for later copies; 0 when unpaired. */
      answer: number;
    }
  | { kind: 'syn'; packet: Uint8Array; receivedAt: number }
  | { kind: 'synced'; id: number }
  | ({ kind: 'stats' } & CaptureCounts)
  | { kind: 'watching'; port: number };

const SYNACK_HEADER = 23;

export function encodeSynAckFrame(
  packet: Uint8Array,
  receivedAt: number,
  syn: AnsweredSyn | null,
  answer: number,
): Buffer {
  const synLength = syn?.packet.length ?? 0;
  const frame = Buffer.allocUnsafe(SYNACK_HEADER + packet.length + synLength);
  frame.writeUInt8(FRAME_SYNACK, 0);
  frame.writeUInt16BE(packet.length, 1);
  frame.writeDoubleBE(receivedAt, 3);
  frame.writeUInt16BE(synLength, 11);
  frame.writeDoubleBE(syn?.sentAt ?? 0, 13);
  frame.writeUInt8(Math.min(255, syn?.sends ?? 0), 21);
  frame.writeUInt8(Math.min(255, answer), 22);
  frame.set(packet, SYNACK_HEADER);
  if (syn) frame.set(syn.packet, SYNACK_HEADER + packet.length);
  return frame;
}

export function encodeSynFrame(packet: Uint8Array, receivedAt: number): Buffer {
  const frame = Buffer.allocUnsafe(11 + packet.length);
  frame.writeUInt8(FRAME_SYN, 0);
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

const STATS_LENGTH = 29;

export function encodeStatsFrame(counts: CaptureCounts): Buffer {
  const frame = Buffer.allocUnsafe(STATS_LENGTH);
  frame.writeUInt8(FRAME_STATS, 0);
  frame.writeUInt32BE(counts.packetsRead >>> 0, 1);
  frame.writeUInt32BE(counts.synAcksForwarded >>> 0, 5);
  frame.writeUInt32BE(counts.readErrors >>> 0, 9);
  frame.writeUInt32BE(counts.foreignSynAcks >>> 0, 13);
  frame.writeUInt32BE(counts.retransmittedSyns >>> 0, 17);
  frame.writeDoubleBE(counts.cpuMs, 21);
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
      if (kind === FRAME_SYNACK) {
        if (data.length - at < SYNACK_HEADER) break;
        const length = data.readUInt16BE(at + 1);
        const synLength = data.readUInt16BE(at + 11);
        if (data.length - at < SYNACK_HEADER + length + synLength) break;
        // Copies: the packets outlive this chunk (they wait in the table for their probe).
        const from = at + SYNACK_HEADER;
        const packet = new Uint8Array(data.subarray(from, from + length));
        const syn =
          synLength === 0
            ? null
            : {
                packet: new Uint8Array(data.subarray(from + length, from + length + synLength)),
                sentAt: data.readDoubleBE(at + 13),
                sends: data.readUInt8(at + 21),
              };
        frames.push({
          kind: 'synack',
          packet,
          receivedAt: data.readDoubleBE(at + 3),
          syn,
          answer: data.readUInt8(at + 22),
        });
        at += SYNACK_HEADER + length + synLength;
      } else if (kind === FRAME_SYN) {
        if (data.length - at < 11) break;
        const length = data.readUInt16BE(at + 1);
        if (data.length - at < 11 + length) break;
        const packet = new Uint8Array(data.subarray(at + 11, at + 11 + length));
        frames.push({ kind: 'syn', packet, receivedAt: data.readDoubleBE(at + 3) });
        at += 11 + length;
      } else if (kind === FRAME_SYNCED) {
        if (data.length - at < 5) break;
        frames.push({ kind: 'synced', id: data.readUInt32BE(at + 1) });
        at += 5;
      } else if (kind === FRAME_STATS) {
        if (data.length - at < STATS_LENGTH) break;
        frames.push({
          kind: 'stats',
          packetsRead: data.readUInt32BE(at + 1),
          synAcksForwarded: data.readUInt32BE(at + 5),
          readErrors: data.readUInt32BE(at + 9),
          foreignSynAcks: data.readUInt32BE(at + 13),
          retransmittedSyns: data.readUInt32BE(at + 17),
          cpuMs: data.readDoubleBE(at + 21),
        });
        at += STATS_LENGTH;
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
