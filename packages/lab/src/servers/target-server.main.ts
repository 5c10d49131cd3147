/**
 * A lab target: answers HTTP on 80 (and on the extra ports of
 * target-ports.ts) and HTTPS on 443 on every address of its namespace, IPv4
 * and IPv6 (the personality's whole block and its IPv6 twin are `local`
 * routes, so binding 0.0.0.0 and :: covers them). Deliberately minimal so one
 * process keeps up with the benchmarks' thousands of new connections per second.
 *
 * Run inside the personality's namespace:
 *   node --import tsx target-server.main.ts <personality> <cert.pem> <key.pem>
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { TARGET_HTTP_PORTS, TARGET_TLS_PORTS } from './target-ports.ts';

const [personality, certPath, keyPath] = process.argv.slice(2);
if (!personality || !certPath || !keyPath) {
  process.stderr.write('usage: target-server.main.ts <personality> <cert.pem> <key.pem>\n');
  process.exit(2);
}

const body = Buffer.from(
  `<!doctype html><title>osfp lab: ${personality}</title><p>osfp lab target (${personality})</p>\n`,
);
const headers = {
  Server: `osfp-lab-${personality}`,
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Length': String(body.length),
};

function answer(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

// Large accept backlog: bursts of SYNs from the benchmarks must not overflow it.
const backlog = 4096;
const tlsFiles = { cert: readFileSync(certPath), key: readFileSync(keyPath) };
// One server per family and port: a server listens once, and :: with ipv6Only leaves 0.0.0.0 to the IPv4 ones.
const listeners = ['0.0.0.0', '::'].flatMap((host) => [
  ...TARGET_HTTP_PORTS.map((port) => ({ server: createHttpServer(answer), port, host })),
  ...TARGET_TLS_PORTS.map((port) => ({ server: createHttpsServer(tlsFiles, answer), port, host })),
]);
for (const { server } of listeners) {
  server.keepAliveTimeout = 2_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.on('clientError', (_error, socket) => socket.destroy());
}

let listening = 0;
function ready(): void {
  listening++;
  if (listening === listeners.length) {
    const ports = [...TARGET_HTTP_PORTS, ...TARGET_TLS_PORTS].join(', :');
    process.stdout.write(`ready: ${personality} on :${ports}, IPv4 and IPv6\n`);
  }
}
for (const { server, port, host } of listeners) server.listen({ port, host, backlog, ipv6Only: host === '::' }, ready);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => process.exit(0));
}
