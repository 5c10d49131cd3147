/**
 * The HTTP probe against loopback servers that misbehave in every way the
 * status set names. No sniffing here (that needs root and the lab: see
 * test/capture.test.ts); these check statuses, parsing, caps and that no
 * socket or timer outlives an exchange.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest, parseResponseHead, runHttpExchange, type ExchangeOptions } from '../src/probe/http-exchange.ts';

type Behaviour = (socket: net.Socket, request: string) => void;

const servers: net.Server[] = [];
const openSockets = new Set<net.Socket>();

async function serve(behaviour: Behaviour): Promise<number> {
  const server = net.createServer((socket) => {
    openSockets.add(socket);
    socket.on('close', () => openSockets.delete(socket));
    socket.on('error', () => undefined);
    let request = '';
    socket.on('data', (chunk) => {
      if (request.includes('\r\n\r\n')) return;
      request += chunk.toString('latin1');
      if (request.includes('\r\n\r\n')) behaviour(socket, request);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

const options: ExchangeOptions = {
  timeoutMs: 5_000,
  userAgent: 'osfp-test (+https://example.invalid)',
  bodyCapBytes: 4_096,
};
const ok = (extraHeaders = '', body = 'hello') =>
  `HTTP/1.1 200 OK\r\nServer: test-server/1.0\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extraHeaders}\r\n${body}`;

afterAll(() => {
  for (const socket of openSockets) socket.destroy();
  for (const server of servers) server.close();
});

describe('parseResponseHead', () => {
  it('reads the status, the first Server header and the body framing', () => {
    expect(parseResponseHead('HTTP/1.1 404 Not Found\r\nserver: a\r\nServer: b\r\nContent-Length: 12')).toEqual({
      status: 404,
      server: 'a',
      contentLength: 12,
      chunked: false,
    });
    expect(parseResponseHead('HTTP/1.0 200\r\nTransfer-Encoding: gzip, chunked')).toMatchObject({
      status: 200,
      server: null,
      chunked: true,
    });
  });

  it('rejects what is not an HTTP status line', () => {
    expect(parseResponseHead('SSH-2.0-OpenSSH_9.2')).toBeNull();
    expect(parseResponseHead('HTTP/1.1 2000 OK')).toBeNull();
  });
});

describe('buildRequest', () => {
  it('names the host (the name when there is one) and leaves default ports out', () => {
    expect(buildRequest({ ip: '198.19.0.1', port: 80, hostname: 'www.example.test' }, 'ua', false)).toContain(
      '\r\nHost: www.example.test\r\n',
    );
    expect(buildRequest({ ip: '198.19.0.1', port: 8080 }, 'ua', false)).toContain('\r\nHost: 198.19.0.1:8080\r\n');
    expect(buildRequest({ ip: '198.19.0.1', port: 443 }, 'ua', true)).toMatch(
      /^GET \/ HTTP\/1\.1\r\nHost: 198\.19\.0\.1\r\nUser-Agent: ua\r\n.*Connection: close\r\n\r\n$/s,
    );
    expect(buildRequest({ ip: 'fd00:18::2', port: 80 }, 'ua', false)).toContain('\r\nHost: [fd00:18::2]\r\n');
    expect(buildRequest({ ip: 'fd00:18::2', port: 8080 }, 'ua', false)).toContain('\r\nHost: [fd00:18::2]:8080\r\n');
  });
});

describe('runHttpExchange', () => {
  it('reads status and Server header, and reports the local port once connected', async () => {
    let seenRequest = '';
    const port = await serve((socket, request) => {
      seenRequest = request;
      socket.end(ok());
    });
    let connectedPort = 0;
    const result = await runHttpExchange(
      { ip: '127.0.0.1', port, hostname: 'www.example.test' },
      options,
      (p) => (connectedPort = p),
    );
    expect(result).toMatchObject({ status: 'success', httpStatus: 200, httpServer: 'test-server/1.0', bodyBytes: 5 });
    expect(connectedPort).toBe(result.localPort);
    expect(result.connectedAt).toBeGreaterThanOrEqual(result.connectStartedAt);
    expect(seenRequest).toContain('Host: www.example.test:');
    expect(seenRequest).toContain('User-Agent: osfp-test (+https://example.invalid)');
  });

  it('finishes at Content-Length without waiting for the server to close', async () => {
    const port = await serve((socket) => socket.write(ok('Connection: keep-alive\r\n')));
    const result = await runHttpExchange({ ip: '127.0.0.1', port }, { ...options, timeoutMs: 60_000 });
    expect(result.status).toBe('success');
  });

  it('finishes at the end of a chunked body', async () => {
    const port = await serve((socket) =>
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'),
    );
    const result = await runHttpExchange({ ip: '127.0.0.1', port }, { ...options, timeoutMs: 5_000 });
    expect(result).toMatchObject({ status: 'success', httpStatus: 200 });
  });

  it('skips an interim 100 Continue and reads the final response', async () => {
    const port = await serve((socket) => socket.end(`HTTP/1.1 100 Continue\r\n\r\n${ok()}`));
    expect(await runHttpExchange({ ip: '127.0.0.1', port }, options)).toMatchObject({
      status: 'success',
      httpStatus: 200,
    });
  });

  it('cuts a body that never ends at the cap: success', async () => {
    const port = await serve((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nServer: endless\r\n\r\n');
      const timer = setInterval(() => socket.write(Buffer.alloc(1_024, 'x')), 1);
      socket.on('close', () => clearInterval(timer));
    });
    const result = await runHttpExchange({ ip: '127.0.0.1', port }, { ...options, timeoutMs: 5_000 });
    expect(result).toMatchObject({ status: 'success', httpServer: 'endless' });
    expect(result.bodyBytes).toBeGreaterThanOrEqual(options.bodyCapBytes);
  });

  it('calls garbage an http-error at once', async () => {
    const port = await serve((socket) => socket.write(Buffer.from([0, 255, 0, 255, 1, 2, 3])));
    const result = await runHttpExchange({ ip: '127.0.0.1', port }, { ...options, timeoutMs: 5_000 });
    expect(result.status).toBe('http-error');
    expect(result.detail).toMatch(/not HTTP/);
  });

  it('calls a close before any answer, a truncated head and an oversized head http-errors', async () => {
    const closing = await serve((socket) => socket.end());
    const truncated = await serve((socket) => socket.end('HTTP/1.1 200 OK\r\nServer: x'));
    const huge = await serve((socket) => socket.write(`HTTP/1.1 200 OK\r\nX-Pad: ${'a'.repeat(40_000)}`));
    for (const port of [closing, truncated, huge]) {
      expect((await runHttpExchange({ ip: '127.0.0.1', port }, options)).status).toBe('http-error');
    }
  });

  it('calls a server that accepts and never answers a timeout', async () => {
    const port = await serve(() => undefined);
    const result = await runHttpExchange({ ip: '127.0.0.1', port }, { ...options, timeoutMs: 300 });
    expect(result.status).toBe('timeout');
    expect(result.connectedAt).not.toBeNull();
  });

  it('calls a closed port refused', async () => {
    const port = await serve(() => undefined);
    servers.at(-1)!.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await runHttpExchange({ ip: '127.0.0.1', port }, options)).status).toBe('refused');
  });

  it('never resolves a name given as the address', async () => {
    const result = await runHttpExchange({ ip: 'localhost', port: 80 }, options);
    expect(result).toMatchObject({ status: 'error', connectedAt: null });
    expect(result.detail).toMatch(/not an IPv4 address/);
  });

  it('ends at once, as an error, when aborted', async () => {
    const port = await serve(() => undefined);
    const controller = new AbortController();
    const pending = runHttpExchange(
      { ip: '127.0.0.1', port },
      { ...options, timeoutMs: 10_000, signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 50);
    expect(await pending).toMatchObject({ status: 'error', detail: 'aborted' });
  });

  it('leaves no socket or timer behind, whatever the server did', async () => {
    const ports = await Promise.all([
      serve((socket) => socket.end(ok())),
      serve((socket) => socket.write(Buffer.from([0, 1, 2, 3, 4, 5]))),
      serve(() => undefined),
      serve((socket) => socket.destroy()),
      serve((socket) => {
        socket.write('HTTP/1.1 200 OK\r\n\r\n');
        const timer = setInterval(() => socket.write(Buffer.alloc(512, 'y')), 1);
        socket.on('close', () => clearInterval(timer));
      }),
    ]);
    const count = () => {
      const active = process.getActiveResourcesInfo();
      return {
        sockets: active.filter((r) => r === 'TCPSocketWrap').length,
        timers: active.filter((r) => r === 'Timeout').length,
      };
    };
    // Server-side sockets are counted too: wait for them to go before and after.
    const settle = () => new Promise((resolve) => setTimeout(resolve, 100));
    await settle();
    const before = count();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        runHttpExchange({ ip: '127.0.0.1', port: ports[i % ports.length]! }, { ...options, timeoutMs: 1_500 }),
      ),
    );
    expect(new Set(results.map((r) => r.status))).toEqual(new Set(['success', 'http-error', 'timeout']));
    for (const socket of openSockets) socket.destroy();
    await settle();
    expect(count()).toEqual(before);
  });
});

describe('runHttpExchange over TLS', () => {
  let dir: string;
  let tlsPort: number;
  let plainPort: number;
  let servername: string | false | null = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'osfp-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=www.example.test',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const server = tls.createServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (socket) => {
        servername = socket.servername;
        socket.on('error', () => undefined);
        socket.once('data', () => socket.end(ok()));
      },
    );
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    tlsPort = (server.address() as net.AddressInfo).port;
    // A plain HTTP server answers a ClientHello with a 400 and hangs up, as real ones do.
    const plain = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
    });
    servers.push(plain);
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    plainPort = (plain.address() as net.AddressInfo).port;
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('speaks HTTPS with SNI = the name, whatever the certificate', async () => {
    const result = await runHttpExchange(
      { ip: '127.0.0.1', port: tlsPort, hostname: 'www.example.test' },
      { ...options, timeoutMs: 10_000, tlsPorts: new Set([tlsPort]) },
    );
    expect(result).toMatchObject({ status: 'success', httpStatus: 200, httpServer: 'test-server/1.0' });
    expect(servername).toBe('www.example.test');
  });

  it('calls a failed TLS handshake a tls-error', async () => {
    const result = await runHttpExchange(
      { ip: '127.0.0.1', port: plainPort },
      { ...options, timeoutMs: 10_000, tlsPorts: new Set([plainPort]) },
    );
    expect(result.status).toBe('tls-error');
  });
});
