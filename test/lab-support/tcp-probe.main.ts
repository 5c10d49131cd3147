/**
 * Connects to each target, sends one HTTP GET, and reports what came back
 * within a watch window, as JSON on stdout. Run inside a scanner namespace:
 *   ip netns exec <scan-ns> node --import tsx tcp-probe.main.ts '<json ProbeRequest[]>'
 * Tests use it instead of curl so they see the raw bytes, refused or timed-out
 * connects, and bodies that never end.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface ProbeRequest {
  host: string;
  port: number;
  tls?: boolean;
  /** Host header / SNI; defaults to host. */
  name?: string;
  connectTimeoutMs?: number;
  /** How long to watch the answer after connecting. */
  watchMs?: number;
}

export interface ProbeResult {
  host: string;
  port: number;
  connected: boolean;
  /** Node error code (ECONNREFUSED, ...) or 'connect-timeout'. */
  error: string | null;
  bytes: number;
  /** First bytes of the answer, latin1. */
  head: string;
  /** The peer closed the connection within the watch window. */
  peerClosed: boolean;
}

function probe(request: ProbeRequest): Promise<ProbeResult> {
  const result: ProbeResult = {
    host: request.host,
    port: request.port,
    connected: false,
    error: null,
    bytes: 0,
    head: '',
    peerClosed: false,
  };
  return new Promise((resolve) => {
    let settled = false;
    let socket: Socket;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      socket.destroy();
      resolve(result);
    };
    const onConnected = (): void => {
      result.connected = true;
      clearTimeout(connectTimer);
      socket.write(
        `GET / HTTP/1.1\r\nHost: ${request.name ?? request.host}\r\nUser-Agent: osfp-lab-test\r\nConnection: close\r\n\r\n`,
      );
      setTimeout(finish, request.watchMs ?? 1_500);
    };
    if (request.tls) {
      socket = tlsConnect(
        {
          host: request.host,
          port: request.port,
          servername: request.name ?? 'lab.osfp-lab.test',
          rejectUnauthorized: false,
        },
        onConnected,
      );
    } else {
      socket = tcpConnect({ host: request.host, port: request.port }, onConnected);
    }
    const connectTimer = setTimeout(() => {
      result.error = 'connect-timeout';
      finish();
    }, request.connectTimeoutMs ?? 2_000);
    socket.on('data', (chunk: Buffer) => {
      if (result.head.length < 256) result.head += chunk.subarray(0, 256 - result.head.length).toString('latin1');
      result.bytes += chunk.length;
    });
    socket.on('end', () => {
      result.peerClosed = true;
      finish();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      result.error = error.code ?? error.message;
      finish();
    });
  });
}

const requests = JSON.parse(process.argv[2] ?? '[]') as ProbeRequest[];
const results = await Promise.all(requests.map(probe));
process.stdout.write(`${JSON.stringify(results)}\n`);
