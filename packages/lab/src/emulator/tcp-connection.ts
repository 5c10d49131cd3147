/**
 * TCP connections, enough for HTTP and HTTPS: the handshake with the
 * fingerprint's SYN-ACK, the client's bytes taken in order, ACKs for whatever
 * the client sends, and retransmission of our own unacknowledged segments
 * with a backed-off RTO. Two modes: `http` answers one request with one
 * segment carrying the body and FIN (the cheap hot path); `stream` carries a
 * byte stream both ways (TLS: node:tls runs on top through a Duplex), cut
 * into segments of the client's MSS, FIN once the stream ends. Connections
 * live in one table keyed by the 4-tuple, bounded and swept, so floods of
 * half-open or abandoned connections cost bounded memory.
 */
import type { TcpAnswer } from './host-profile.ts';
import { TCP_FLAGS } from './host-profile.ts';

const { SYN, ACK, FIN, RST, PSH } = TCP_FLAGS;

export type ConnState = 'syn-received' | 'established' | 'closing';

export interface Conn {
  key: string;
  peer: number;
  peerPort: number;
  local: number;
  localPort: number;
  state: ConnState;
  answer: TcpAnswer;
  iss: number;
  sndNext: number;
  rcvNext: number;
  /** Peer sent timestamps in its SYN and our SYN-ACK carried them: every segment carries them. */
  ts: boolean;
  peerTsVal: number;
  request: Buffer[];
  requestBytes: number;
  /** What we must retransmit until it is acknowledged (SYN-ACK, or response + FIN). */
  pending: 'syn-ack' | 'response' | null;
  pendingSince: number;
  rtoMs: number;
  retries: number;
  synAckSentAt: number;
  lastActivity: number;
  peerFin: boolean;
  /** TSval of our SYN-ACK, when later segments count on from it (see EmulatedStack.emitConn). */
  tsStart: number | null;
  mode: 'http' | 'stream';
  /** Stream mode: the client's MSS (536 without the option). */
  peerMss: number;
  /** Stream mode: bytes written and not yet acknowledged, from sndUna. */
  unacked: Buffer;
  sndUna: number;
  /** Stream mode: our side has ended; FIN follows the data. */
  ended: boolean;
  /** Stream mode: where the client's bytes go, and their end. */
  sink: StreamSink | null;
}

export interface StreamSink {
  data(chunk: Buffer): void;
  end(): void;
  /** The connection is gone (reset, expired, evicted). */
  abort(): void;
}

/** What the connection wants sent: the caller builds the frame. */
export interface ConnOutput {
  flags: number;
  seq: number;
  ack: number;
  payload: Buffer | null;
  synAck: boolean;
}

export interface ConnTableOptions {
  maxConnections?: number;
  idleMs?: number;
  maxRetries?: number;
  requestCapBytes?: number;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

export class ConnTable {
  readonly conns = new Map<string, Conn>();
  private readonly max: number;
  private readonly idleMs: number;
  private readonly maxRetries: number;
  private readonly requestCap: number;
  stats = { opened: 0, completed: 0, reset: 0, expired: 0, evicted: 0, retransmits: 0 };

  constructor(
    private readonly response: Buffer,
    private readonly emit: (conn: Conn, out: ConnOutput) => void,
    opts: ConnTableOptions = {},
  ) {
    this.max = opts.maxConnections ?? 65536;
    this.idleMs = opts.idleMs ?? 30_000;
    this.maxRetries = opts.maxRetries ?? 5;
    this.requestCap = opts.requestCapBytes ?? 16384;
  }

  static key(peer: number, peerPort: number, local: number, localPort: number): string {
    return `${peer}:${peerPort}:${local}:${localPort}`;
  }

  /** A SYN that opens a connection; `iss` is the host's ISN for it. */
  open(
    key: string,
    peer: number,
    peerPort: number,
    local: number,
    localPort: number,
    seq: number,
    tsVal: number | null,
    answer: TcpAnswer,
    iss: number,
    now: number,
    stream?: { peerMss: number; attach: (conn: Conn) => StreamSink },
    /** A SYN-cookie host keeps no state for its SYN-ACK, so never retransmits it (the client's SYN retransmission must). */
    cookie = false,
  ): Conn {
    if (this.conns.size >= this.max) {
      const oldest = this.conns.keys().next().value;
      if (oldest !== undefined) {
        this.conns.get(oldest)?.sink?.abort();
        this.conns.delete(oldest);
        this.stats.evicted++;
      }
    }
    const conn: Conn = {
      key,
      peer,
      peerPort,
      local,
      localPort,
      state: 'syn-received',
      answer,
      iss,
      sndNext: (iss + 1) >>> 0,
      rcvNext: (seq + 1) >>> 0,
      ts: tsVal !== null && answer.options.some((o) => o.kind === 'ts'),
      peerTsVal: tsVal ?? 0,
      request: [],
      requestBytes: 0,
      pending: cookie ? null : 'syn-ack',
      pendingSince: now,
      rtoMs: 1000,
      retries: 0,
      synAckSentAt: now,
      lastActivity: now,
      peerFin: false,
      tsStart: null,
      mode: 'http',
      peerMss: 536,
      unacked: EMPTY,
      sndUna: (iss + 1) >>> 0,
      ended: false,
      sink: null,
    };
    if (stream) {
      conn.mode = 'stream';
      conn.peerMss = Math.max(88, Math.min(1460, stream.peerMss));
      conn.sink = stream.attach(conn);
    }
    this.conns.set(key, conn);
    this.stats.opened++;
    this.emit(conn, { flags: SYN | ACK, seq: iss, ack: conn.rcvNext, payload: null, synAck: true });
    return conn;
  }

  /** A segment for an existing connection. */
  segment(
    conn: Conn,
    flags: number,
    seq: number,
    ack: number,
    tsVal: number | null,
    payload: Buffer,
    now: number,
  ): void {
    conn.lastActivity = now;
    if (tsVal !== null) conn.peerTsVal = tsVal;
    if (flags & RST) {
      this.conns.delete(conn.key);
      this.stats.reset++;
      conn.sink?.abort();
      return;
    }
    if (flags & SYN) {
      // The client did not get our SYN-ACK: send it again (same ISN).
      if (conn.state === 'syn-received' && (seq + 1) >>> 0 === conn.rcvNext) {
        this.emit(conn, { flags: SYN | ACK, seq: conn.iss, ack: conn.rcvNext, payload: null, synAck: true });
      }
      return;
    }
    if (!(flags & ACK)) return;
    if (conn.state === 'syn-received') {
      if (ack !== conn.sndNext) return;
      conn.state = 'established';
      conn.pending = null;
      conn.retries = 0;
      // RTO for our data from the handshake's round trip, never below 200 ms.
      conn.rtoMs = Math.min(3000, Math.max(200, 3 * (now - conn.synAckSentAt)));
    }
    if (conn.mode === 'stream') {
      this.streamSegment(conn, flags, seq, ack, payload, now);
      return;
    }
    if (conn.state === 'closing' && conn.pending === 'response' && ack === conn.sndNext) {
      conn.pending = null;
      conn.retries = 0;
    }
    let mustAck = false;
    if (payload.length > 0 || flags & FIN) {
      if (seq === conn.rcvNext) {
        if (payload.length > 0 && conn.state === 'established') {
          if (conn.requestBytes < this.requestCap) conn.request.push(Buffer.from(payload));
          conn.requestBytes += payload.length;
        }
        conn.rcvNext = (conn.rcvNext + payload.length) >>> 0;
        if (flags & FIN) {
          conn.rcvNext = (conn.rcvNext + 1) >>> 0;
          conn.peerFin = true;
        }
        mustAck = true;
      } else {
        // Out of order or a duplicate: a duplicate ACK tells the client where we are.
        mustAck = true;
      }
    }
    if (conn.state === 'established' && this.requestComplete(conn)) {
      conn.state = 'closing';
      this.sendResponse(conn, now);
      mustAck = false;
    }
    if (mustAck) this.emit(conn, { flags: ACK, seq: conn.sndNext, ack: conn.rcvNext, payload: null, synAck: false });
    if (conn.state === 'closing' && conn.pending === null && conn.peerFin) {
      this.conns.delete(conn.key);
      this.stats.completed++;
    }
  }

  private streamSegment(conn: Conn, flags: number, seq: number, ack: number, payload: Buffer, now: number): void {
    // Acknowledged bytes (and our FIN) leave the send queue.
    const acked = (ack - conn.sndUna) | 0;
    const inFlight = conn.unacked.length + (conn.ended ? 1 : 0);
    if (acked > 0 && acked <= inFlight) {
      conn.unacked = conn.unacked.subarray(Math.min(acked, conn.unacked.length));
      conn.sndUna = ack;
      conn.retries = 0;
      conn.pendingSince = now;
      conn.pending = conn.unacked.length > 0 || (conn.ended && ack !== conn.sndNext) ? 'response' : null;
    }
    if (payload.length > 0 || flags & FIN) {
      if (seq === conn.rcvNext) {
        conn.rcvNext = (conn.rcvNext + payload.length) >>> 0;
        if (payload.length > 0) conn.sink?.data(Buffer.from(payload));
        if (flags & FIN && !conn.peerFin) {
          conn.rcvNext = (conn.rcvNext + 1) >>> 0;
          conn.peerFin = true;
          conn.sink?.end();
        }
      }
      this.emit(conn, { flags: ACK, seq: conn.sndNext, ack: conn.rcvNext, payload: null, synAck: false });
    }
    if (conn.ended && conn.pending === null && conn.peerFin) {
      this.conns.delete(conn.key);
      this.stats.completed++;
    }
  }

  /** Stream mode: sends `data` now, in segments of the client's MSS, and keeps it until acknowledged. */
  write(conn: Conn, data: Buffer, now: number): void {
    if (conn.ended || !this.conns.has(conn.key)) return;
    conn.unacked = conn.unacked.length === 0 ? Buffer.from(data) : Buffer.concat([conn.unacked, data]);
    for (let at = 0; at < data.length; at += conn.peerMss) {
      const part = data.subarray(at, Math.min(data.length, at + conn.peerMss));
      this.emit(conn, { flags: ACK | PSH, seq: conn.sndNext, ack: conn.rcvNext, payload: part, synAck: false });
      conn.sndNext = (conn.sndNext + part.length) >>> 0;
    }
    if (conn.pending === null) {
      conn.pending = 'response';
      conn.pendingSince = now;
    }
  }

  /** Stream mode: our side is done; FIN goes out after the data. */
  end(conn: Conn, now: number): void {
    if (conn.ended || !this.conns.has(conn.key)) return;
    conn.ended = true;
    this.emit(conn, { flags: ACK | FIN, seq: conn.sndNext, ack: conn.rcvNext, payload: null, synAck: false });
    conn.sndNext = (conn.sndNext + 1) >>> 0;
    if (conn.pending === null) {
      conn.pending = 'response';
      conn.pendingSince = now;
    }
  }

  private resendStream(conn: Conn): void {
    let seq = conn.sndUna;
    for (let at = 0; at < conn.unacked.length; at += conn.peerMss) {
      const part = conn.unacked.subarray(at, Math.min(conn.unacked.length, at + conn.peerMss));
      this.emit(conn, { flags: ACK | PSH, seq, ack: conn.rcvNext, payload: part, synAck: false });
      seq = (seq + part.length) >>> 0;
    }
    if (conn.ended) this.emit(conn, { flags: ACK | FIN, seq, ack: conn.rcvNext, payload: null, synAck: false });
  }

  private requestComplete(conn: Conn): boolean {
    if (conn.requestBytes >= this.requestCap) return true;
    if (conn.request.length === 0) return false;
    const all = conn.request.length === 1 ? conn.request[0]! : Buffer.concat(conn.request);
    if (conn.request.length > 1) conn.request = [all];
    return all.includes(HEAD_END) || (conn.peerFin && all.length > 0);
  }

  private sendResponse(conn: Conn, now: number): void {
    const seq = conn.sndNext;
    conn.sndNext = (conn.sndNext + this.response.length + 1) >>> 0;
    conn.pending = 'response';
    conn.pendingSince = now;
    conn.request = [];
    this.emit(conn, { flags: ACK | PSH | FIN, seq, ack: conn.rcvNext, payload: this.response, synAck: false });
  }

  /** Retransmissions and expiry; call every few tens of milliseconds. */
  tick(now: number): void {
    for (const conn of this.conns.values()) {
      if (conn.pending !== null && now - conn.pendingSince >= conn.rtoMs) {
        if (conn.retries >= this.maxRetries) {
          this.conns.delete(conn.key);
          this.stats.expired++;
          conn.sink?.abort();
          continue;
        }
        conn.retries++;
        conn.rtoMs = Math.min(conn.rtoMs * 2, 30_000);
        conn.pendingSince = now;
        this.stats.retransmits++;
        if (conn.pending === 'syn-ack') {
          this.emit(conn, { flags: SYN | ACK, seq: conn.iss, ack: conn.rcvNext, payload: null, synAck: true });
        } else if (conn.mode === 'stream') {
          this.resendStream(conn);
        } else {
          const seq = (conn.sndNext - this.response.length - 1) >>> 0;
          this.emit(conn, { flags: ACK | PSH | FIN, seq, ack: conn.rcvNext, payload: this.response, synAck: false });
        }
      } else if (conn.pending === null && now - conn.lastActivity > this.idleMs) {
        this.conns.delete(conn.key);
        this.stats.expired++;
        conn.sink?.abort();
      }
    }
  }
}
