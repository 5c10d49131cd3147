/**
 * The lab's hostile hosts, one behaviour per address, for robustness tests:
 *   silent  - accepts and never answers;
 *   garbage - answers a request with bytes that are not HTTP, then closes;
 *   endless - answers 200 and streams a body that never ends.
 * `closed` (nothing listens: the kernel sends RST) and `drop` (an iptables DROP
 * in the namespace) need no process.
 *
 * Run inside the hostile namespace:
 *   node --import tsx hostile-server.main.ts <port> silent=IP garbage=IP endless=IP
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';

const [portArg, ...assignments] = process.argv.slice(2);
const port = Number(portArg);
if (!Number.isInteger(port) || assignments.length === 0) {
  process.stderr.write('usage: hostile-server.main.ts <port> silent=IP garbage=IP endless=IP\n');
  process.exit(2);
}

// Silent connections are closed eventually so a forgotten client cannot pin memory forever.
const SILENT_LIMIT_MS = 10 * 60_000;
const ENDLESS_CHUNK = Buffer.alloc(16 * 1024, 'x');
// Paced so a reader sees the body keep coming without the lab burning a core on it.
const ENDLESS_INTERVAL_MS = 5;
const ENDLESS_CHUNKS_PER_TICK = 4;

const behaviours: Record<string, (socket: Socket) => void> = {
  silent(socket) {
    socket.on('data', () => undefined);
    socket.setTimeout(SILENT_LIMIT_MS, () => socket.destroy());
  },
  garbage(socket) {
    socket.once('data', () => {
      // Binary noise that no HTTP parser accepts: starts with NUL and 0xFF bytes.
      socket.end(Buffer.concat([Buffer.from([0, 255, 0, 255]), randomBytes(508)]));
    });
  },
  endless(socket) {
    socket.once('data', () => {
      socket.write(
        'HTTP/1.1 200 OK\r\nServer: osfp-lab-endless\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n',
      );
      const timer = setInterval(() => {
        if (socket.destroyed) return clearInterval(timer);
        // Fill the socket up to its buffer each tick, so a slow timer on a busy machine still streams steadily.
        for (let i = 0; i < ENDLESS_CHUNKS_PER_TICK && !socket.writableNeedDrain; i++) socket.write(ENDLESS_CHUNK);
      }, ENDLESS_INTERVAL_MS);
      socket.on('close', () => clearInterval(timer));
    });
  },
};

let pending = assignments.length;
for (const assignment of assignments) {
  const [behaviour = '', address = ''] = assignment.split('='); // IPv6 addresses have no '='
  const handle = behaviours[behaviour];
  if (!handle || !address) {
    process.stderr.write(`hostile-server: unknown assignment "${assignment}" (want silent|garbage|endless=IP)\n`);
    process.exit(2);
  }
  const server = createServer((socket) => {
    socket.on('error', () => socket.destroy());
    handle(socket);
  });
  server.listen({ port, host: address, backlog: 1024 }, () => {
    pending--;
    if (pending === 0) process.stdout.write(`ready: hostile on port ${port}\n`);
  });
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => process.exit(0));
}
