/**
 * One HTTP probe on node:net / node:tls: a fresh TCP connection, one
 * HTTP/1.1 GET, the status line and headers read, the body read up to a cap,
 * the connection closed. This is the hot path (thousands per second per
 * worker), so it parses only what the record needs and owns exactly one
 * socket and one timer, both released on every path out.
 *
 * Status rules (@osfp/dataset PROBE_STATUSES):
 * - no handshake before the deadline (or the kernel gave up) -> `no-synack`;
 *   RST to our SYN -> `refused`; ICMP unreachable -> `unreachable`;
 * - handshake done, TLS failed before the response -> `tls-error`;
 * - handshake done, no valid status line + headers -> `http-error`
 *   (garbage, close or reset before the headers ended, headers over the cap),
 *   or `timeout` when the deadline passed first;
 * - status line and headers read -> `success`, however the body then ends
 *   (its end, the cap, the peer closing or resetting, the deadline): the
 *   record needs the status and the Server header, the body is only drained
 *   to be a polite client, and a never-ending body is cut at the cap;
 * - anything local (no ports, no file descriptors) -> `error`.
 */
import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { ProbeStatus } from '@osfp/dataset';

export interface ExchangeTarget {
  readonly ip: string;
  readonly port: number;
  readonly hostname?: string | null | undefined;
}

export interface ExchangeOptions {
  readonly timeoutMs: number;
  readonly userAgent: string;
  readonly bodyCapBytes: number;
  readonly headerCapBytes?: number;
  /** TLS on these ports (default: 443 only). */
  readonly tlsPorts?: ReadonlySet<number>;
  /** Ends the exchange at once (status `error`). */
  readonly signal?: AbortSignal | undefined;
}

export interface ExchangeResult {
  status: ProbeStatus;
  httpStatus: number | null;
  httpServer: string | null;
  /** When connect() was called (epoch ms, fractional). */
  connectStartedAt: number;
  /** When the handshake was seen complete, or null. */
  connectedAt: number | null;
  localPort: number | null;
  bodyBytes: number;
  /** Why, for anything but success (for logs, never a column). */
  detail: string | null;
}

const DEFAULT_TLS_PORTS: ReadonlySet<number> = new Set([443]);
const DEFAULT_HEADER_CAP = 32 * 1024;
const EMPTY = Buffer.alloc(0);
const HEAD_END = Buffer.from('\r\n\r\n');
const STATUS_LINE = /^HTTP\/\d(?:\.\d)? (\d{3})(?: |\r|$)/;

const epochMs = () => performance.timeOrigin + performance.now();

export function buildRequest(target: ExchangeTarget, userAgent: string, tlsUsed: boolean): string {
  const defaultPort = tlsUsed ? 443 : 80;
  // An IPv6 literal goes in brackets in Host (RFC 7230 5.4, RFC 3986 3.2.2).
  const host = target.hostname ?? (target.ip.includes(':') ? `[${target.ip}]` : target.ip);
  const hostHeader = target.port === defaultPort ? host : `${host}:${target.port}`;
  return `GET / HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: ${userAgent}\r\nAccept: */*\r\nConnection: close\r\n\r\n`;
}

interface ParsedHead {
  status: number;
  server: string | null;
  contentLength: number | null;
  chunked: boolean;
}

/** Parses a complete response head (status line + headers, no final CRLFCRLF); null if it is not HTTP. */
export function parseResponseHead(head: string): ParsedHead | null {
  // Without the m flag `$` matches only at the end: a head that is a status line alone.
  const match = STATUS_LINE.exec(head);
  if (!match) return null;
  let server: string | null = null;
  let contentLength: number | null = null;
  let chunked = false;
  // Line by line without splitting: only three names matter, and most heads
  // carry a dozen others (this runs for every probe).
  for (let start = head.indexOf('\r\n'); start >= 0;) {
    start += 2;
    const next = head.indexOf('\r\n', start);
    const stop = next < 0 ? head.length : next;
    const colon = head.indexOf(':', start);
    if (colon > start && colon < stop) {
      const name = head.slice(start, colon).trim();
      if (name.length === 6 || name.length === 14 || name.length === 17) {
        const lower = name.toLowerCase();
        const value = head.slice(colon + 1, stop).trim();
        if (lower === 'server' && server === null) server = value;
        else if (lower === 'content-length' && /^\d+$/.test(value)) contentLength = Number(value);
        else if (lower === 'transfer-encoding' && /chunked/i.test(value)) chunked = true;
      }
    }
    start = next;
  }
  return { status: Number(match[1]), server, contentLength, chunked };
}

function resetOrDestroy(socket: net.Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy(); // the handle is no longer a plain TCP handle (TLS took it over)
  }
}

function connectFailureStatus(code: string | undefined): ProbeStatus {
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
      return 'unreachable';
    case 'ETIMEDOUT':
      return 'no-synack';
    default:
      return 'error';
  }
}

/**
 * Runs one exchange. `onConnected` fires once, as soon as the handshake is
 * complete, with the local port. Never rejects.
 */
export function runHttpExchange(
  target: ExchangeTarget,
  options: ExchangeOptions,
  onConnected?: (localPort: number) => void,
): Promise<ExchangeResult> {
  return new HttpExchange(target, options, onConnected).done;
}

/**
 * One exchange in flight. A class rather than a closure per handler: the
 * prober runs thousands a second, and methods are made once, not per probe.
 * `abort()` ends it at once (status `error`), for callers that end many
 * exchanges with one signal instead of one listener each.
 */
export class HttpExchange {
  /** Settles once, when the exchange is over, however it ended. */
  readonly done: Promise<ExchangeResult>;
  private readonly result: ExchangeResult;
  private readonly tlsUsed: boolean;
  private readonly tcp = new net.Socket();
  private stream: net.Socket;
  private readonly timer: NodeJS.Timeout;
  private resolve!: (result: ExchangeResult) => void;
  private finished = false;
  private peerEnded = false;
  private tlsReady = false;
  /** The response head so far; null once it is parsed. */
  private head: Buffer | null = EMPTY;
  private parsed: ParsedHead | null = null;
  private chunkTail = '';
  private abortListener: (() => void) | null = null;

  constructor(
    private readonly target: ExchangeTarget,
    private readonly options: ExchangeOptions,
    private readonly onConnected?: (localPort: number) => void,
  ) {
    this.done = new Promise((resolve) => {
      this.resolve = resolve;
    });
    this.tlsUsed = (options.tlsPorts ?? DEFAULT_TLS_PORTS).has(target.port);
    this.result = {
      status: 'error',
      httpStatus: null,
      httpServer: null,
      connectStartedAt: epochMs(),
      connectedAt: null,
      localPort: null,
      bodyBytes: 0,
      detail: null,
    };
    const tcp = this.tcp;
    this.stream = tcp;
    this.timer = setTimeout(() => this.onDeadline(), options.timeoutMs);
    if (options.signal) {
      if (options.signal.aborted) {
        this.finish('error', 'aborted');
        return;
      }
      this.abortListener = () => this.abort();
      options.signal.addEventListener('abort', this.abortListener, { once: true });
    }
    tcp.once('connect', () => this.onConnect());
    tcp.on('error', (error: NodeJS.ErrnoException) => this.onError(error));
    if (!this.tlsUsed) {
      tcp.on('data', (chunk: Buffer) => this.onData(chunk));
      tcp.on('end', () => this.onEnd());
    } else {
      tcp.on('end', () => {
        this.peerEnded = true;
      });
    }
    // An address, never a name: the prober must not resolve anything (names
    // were resolved and checked against the exclusions upstream), and
    // net.connect would resolve one behind their back.
    if (net.isIP(target.ip) === 0) {
      this.finish('error', `target ip "${target.ip}" is not an IPv4 address nor an IPv6 address`);
      return;
    }
    try {
      tcp.connect({ host: target.ip, port: target.port, noDelay: true });
    } catch (error) {
      this.finish('error', error instanceof Error ? error.message : String(error));
    }
  }

  abort(): void {
    this.finish('error', 'aborted');
  }

  private finish(status: ProbeStatus, detail: string | null = null): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    if (this.abortListener) this.options.signal?.removeEventListener('abort', this.abortListener);
    const { result, tcp } = this;
    result.status = status;
    result.detail = detail;
    // After a complete exchange the peer has usually closed first; if it has
    // not, a reset instead of a FIN keeps thousands of connections a second
    // from piling up in TIME_WAIT on the worker.
    if (this.stream !== tcp) this.stream.destroy();
    if (!this.peerEnded && result.connectedAt !== null && !tcp.destroyed) resetOrDestroy(tcp);
    else tcp.destroy();
    this.resolve(result);
  }

  private onDeadline(): void {
    if (this.result.connectedAt === null) this.finish('no-synack', 'no handshake before the deadline');
    else if (this.parsed) this.finish('success');
    else this.finish('timeout', 'no complete response head before the deadline');
  }

  private onConnect(): void {
    const { result, tcp, target, options } = this;
    result.connectedAt = epochMs();
    result.localPort = tcp.localPort ?? null;
    if (result.localPort !== null) this.onConnected?.(result.localPort);
    const request = buildRequest(target, options.userAgent, this.tlsUsed);
    if (!this.tlsUsed) {
      tcp.write(request);
      return;
    }
    const servername = target.hostname && net.isIP(target.hostname) === 0 ? target.hostname : undefined;
    const secure = tls.connect({
      socket: tcp,
      ...(servername !== undefined && { servername }),
      rejectUnauthorized: false, // we record what the server is, not whether we trust it
      ALPNProtocols: ['http/1.1'],
    });
    this.stream = secure;
    secure.on('error', (error: NodeJS.ErrnoException) => this.onError(error));
    secure.on('data', (chunk: Buffer) => this.onData(chunk));
    secure.on('end', () => this.onEnd());
    secure.once('secureConnect', () => {
      this.tlsReady = true;
      secure.write(request);
    });
  }

  private onBody(bytes: number, chunk: Buffer): void {
    const { result, parsed } = this;
    result.bodyBytes += bytes;
    if (result.bodyBytes >= this.options.bodyCapBytes) return this.finish('success');
    if (parsed?.contentLength != null && result.bodyBytes >= parsed.contentLength) return this.finish('success');
    if (parsed?.chunked) {
      this.chunkTail = (this.chunkTail + chunk.toString('latin1')).slice(-7);
      if (this.chunkTail.endsWith('0\r\n\r\n')) return this.finish('success');
    }
  }

  private onData(chunk: Buffer): void {
    if (this.finished) return;
    if (this.head === null) return this.onBody(chunk.length, chunk);
    const head = this.head.length === 0 ? chunk : Buffer.concat([this.head, chunk]);
    this.head = head;
    // Garbage is recognised from its first bytes; no need to wait for a head that will never end.
    if (head.length >= 5 && head.toString('latin1', 0, 5) !== 'HTTP/')
      return this.finish('http-error', 'response is not HTTP');
    const end = head.indexOf(HEAD_END);
    if (end < 0) {
      const headerCap = this.options.headerCapBytes ?? DEFAULT_HEADER_CAP;
      if (head.length > headerCap) this.finish('http-error', `response head over ${headerCap} bytes`);
      return;
    }
    const response = parseResponseHead(head.toString('latin1', 0, end));
    if (!response) return this.finish('http-error', 'malformed status line');
    const rest = head.subarray(end + HEAD_END.length);
    if (response.status >= 100 && response.status < 200 && response.status !== 101) {
      // An interim response (100, 103): the real one follows.
      this.head = EMPTY;
      if (rest.length > 0) this.onData(rest);
      return;
    }
    this.head = null;
    this.parsed = response;
    this.result.httpStatus = response.status;
    this.result.httpServer = response.server;
    const bodiless = response.status === 204 || response.status === 304 || response.contentLength === 0;
    if (bodiless) return this.finish('success');
    if (rest.length > 0) this.onBody(rest.length, rest);
  }

  private onEnd(): void {
    this.peerEnded = true;
    if (this.parsed) this.finish('success');
    else if (this.head !== null && this.head.length === 0) this.finish('http-error', 'closed without a response');
    else this.finish('http-error', 'closed before the response head ended');
  }

  private onError(error: NodeJS.ErrnoException): void {
    if (this.result.connectedAt === null) return this.finish(connectFailureStatus(error.code), error.message);
    if (this.parsed) return this.finish('success');
    if (this.tlsUsed && !this.tlsReady) return this.finish('tls-error', error.message);
    this.finish('http-error', error.message);
  }
}
