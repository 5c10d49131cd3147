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
  const lines = head.split('\r\n');
  const match = STATUS_LINE.exec(lines[0] ?? '');
  if (!match) return null;
  let server: string | null = null;
  let contentLength: number | null = null;
  let chunked = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'server' && server === null) server = value;
    else if (name === 'content-length' && /^\d+$/.test(value)) contentLength = Number(value);
    else if (name === 'transfer-encoding' && /chunked/i.test(value)) chunked = true;
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
 * complete, with the local port (the prober claims its SYN-ACK then).
 * Never rejects.
 */
export function runHttpExchange(
  target: ExchangeTarget,
  options: ExchangeOptions,
  onConnected?: (localPort: number) => void,
): Promise<ExchangeResult> {
  return new Promise((resolve) => {
    const tlsUsed = (options.tlsPorts ?? DEFAULT_TLS_PORTS).has(target.port);
    const headerCap = options.headerCapBytes ?? 32 * 1024;
    const result: ExchangeResult = {
      status: 'error',
      httpStatus: null,
      httpServer: null,
      connectStartedAt: epochMs(),
      connectedAt: null,
      localPort: null,
      bodyBytes: 0,
      detail: null,
    };
    let finished = false;
    let peerEnded = false;
    let head: Buffer | null = Buffer.alloc(0); // null once the head is parsed
    let parsed: ParsedHead | null = null;
    let chunkTail = '';

    const tcp = new net.Socket();
    let stream: net.Socket = tcp;

    const finish = (status: ProbeStatus, detail: string | null = null) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      result.status = status;
      result.detail = detail;
      // After a complete exchange the peer has usually closed first; if it has
      // not, a reset instead of a FIN keeps thousands of connections a second
      // from piling up in TIME_WAIT on the worker.
      if (stream !== tcp) stream.destroy();
      if (!peerEnded && result.connectedAt !== null && !tcp.destroyed) resetOrDestroy(tcp);
      else tcp.destroy();
      resolve(result);
    };

    const timer = setTimeout(() => {
      if (result.connectedAt === null) finish('no-synack', 'no handshake before the deadline');
      else if (parsed) finish('success');
      else finish('timeout', 'no complete response head before the deadline');
    }, options.timeoutMs);

    const onAbort = () => finish('error', 'aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const onBody = (bytes: number, chunk: Buffer) => {
      result.bodyBytes += bytes;
      if (result.bodyBytes >= options.bodyCapBytes) return finish('success');
      if (parsed?.contentLength != null && result.bodyBytes >= parsed.contentLength) return finish('success');
      if (parsed?.chunked) {
        chunkTail = (chunkTail + chunk.toString('latin1')).slice(-7);
        if (chunkTail.endsWith('0\r\n\r\n')) return finish('success');
      }
    };

    const onData = (chunk: Buffer) => {
      if (finished) return;
      if (head === null) return onBody(chunk.length, chunk);
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      // Garbage is recognised from its first bytes; no need to wait for a head that will never end.
      if (head.length >= 5 && head.subarray(0, 5).toString('latin1') !== 'HTTP/')
        return finish('http-error', 'response is not HTTP');
      const end = head.indexOf(HEAD_END);
      if (end < 0) {
        if (head.length > headerCap) finish('http-error', `response head over ${headerCap} bytes`);
        return;
      }
      const text = head.subarray(0, end).toString('latin1');
      const rest = head.subarray(end + HEAD_END.length);
      const response = parseResponseHead(text);
      if (!response) return finish('http-error', 'malformed status line');
      if (response.status >= 100 && response.status < 200 && response.status !== 101) {
        // An interim response (100, 103): the real one follows.
        head = Buffer.alloc(0);
        if (rest.length > 0) onData(rest);
        return;
      }
      head = null;
      parsed = response;
      result.httpStatus = response.status;
      result.httpServer = response.server;
      const bodless = response.status === 204 || response.status === 304 || response.contentLength === 0;
      if (bodless) return finish('success');
      if (rest.length > 0) onBody(rest.length, rest);
    };

    const onEnd = () => {
      peerEnded = true;
      if (parsed) finish('success');
      else if (head !== null && head.length === 0) finish('http-error', 'closed without a response');
      else finish('http-error', 'closed before the response head ended');
    };

    const onError = (error: NodeJS.ErrnoException) => {
      if (result.connectedAt === null) return finish(connectFailureStatus(error.code), error.message);
      if (parsed) return finish('success');
      if (tlsUsed && !tlsReady) return finish('tls-error', error.message);
      finish('http-error', error.message);
    };

    let tlsReady = false;
    tcp.once('connect', () => {
      result.connectedAt = epochMs();
      result.localPort = tcp.localPort ?? null;
      if (result.localPort !== null) onConnected?.(result.localPort);
      const request = buildRequest(target, options.userAgent, tlsUsed);
      if (!tlsUsed) {
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
      stream = secure;
      secure.on('error', onError);
      secure.on('data', onData);
      secure.on('end', onEnd);
      secure.once('secureConnect', () => {
        tlsReady = true;
        secure.write(request);
      });
    });
    tcp.on('error', onError);
    if (!tlsUsed) {
      tcp.on('data', onData);
      tcp.on('end', onEnd);
    } else {
      tcp.on('end', () => {
        peerEnded = true;
      });
    }
    if (options.signal?.aborted) return finish('error', 'aborted');
    // Only addresses are probed: a name here would be resolved by net.connect,
    // behind the back of the resolver and the exclusion list.
    // An address, never a name: the prober must not resolve anything (names were resolved and checked upstream).
    if (net.isIP(target.ip) === 0)
      return finish('error', `target ip "${target.ip}" is not an IPv4 address nor an IPv6 address`);
    try {
      tcp.connect({ host: target.ip, port: target.port, noDelay: true });
    } catch (error) {
      finish('error', error instanceof Error ? error.message : String(error));
    }
  });
}
