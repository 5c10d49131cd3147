/**
 * The in-lab half of the path-bridge throughput figure of `internet-capture`,
 * run inside the lab's scanner namespace: sends `packets` UDP datagrams
 * (port 9, discard) round-robin to `hosts` as fast as the socket takes them,
 * at most `inFlight` sends outstanding, and reports how long that took.
 * Every datagram crosses a path bridge on its way to a kernel personality,
 * so the bridges' counters say whether they carried them all. Prints one
 * JSON object on stdout.
 *
 *   echo '{"hosts":["198.19.0.1",...],"packets":60000,"inFlight":256}' | node --import tsx bridge-blast-in-lab.main.ts
 */
import { createSocket } from 'node:dgram';
import { text } from 'node:stream/consumers';

interface Request {
  hosts: string[];
  packets: number;
  inFlight: number;
}

const request = JSON.parse(await text(process.stdin)) as Request;
const socket = createSocket('udp4');
const payload = Buffer.alloc(64, 0x42);
let sent = 0;
let failed = 0;
let next = 0;
const started = performance.now();
await new Promise<void>((resolve) => {
  let outstanding = 0;
  const pump = (): void => {
    while (outstanding < request.inFlight && next < request.packets) {
      const host = request.hosts[next % request.hosts.length]!;
      next++;
      outstanding++;
      socket.send(payload, 9, host, (error) => {
        outstanding--;
        if (error) failed++;
        else sent++;
        if (next < request.packets) pump();
        else if (outstanding === 0) resolve();
      });
    }
  };
  pump();
});
const seconds = (performance.now() - started) / 1000;
socket.close();
process.stdout.write(`${JSON.stringify({ sent, failed, seconds })}\n`);
