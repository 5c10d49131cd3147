/**
 * Learns the probe's own SYN from the worker's stack at start-up: the SYN-ACK
 * a server sends depends on it (options echoed, window expressed in our MSS).
 *
 * A raw IPv4 socket sees only inbound packets, so our SYN is observed on a
 * connection to a listener on 127.0.0.1 (loopback turns it inbound). Its
 * option layout is the one every probe sends; its MSS is not - the kernel
 * derives MSS from the route's MTU (65495 on loopback, 1460 on Ethernet) -
 * so the MSS recorded is the one the route towards the targets gives:
 * `advmss` or `mtu` of `ip route get`, else the device MTU, minus 40.
 */
import net from 'node:net';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { SynFeatures } from '@osfp/dataset';
import { describeSyn } from '@osfp/features';
import type { Sniffer, SynWatch } from '../sniffer/index.ts';

const execFileAsync = promisify(execFile);
const IPV4_TCP_HEADERS = 40;

export interface OwnSyn {
  readonly features: SynFeatures;
  /** The SYN as seen on loopback, a template for archiving each probe's SYN. */
  readonly template: Uint8Array;
  /** The MSS seen on loopback, before the route correction. */
  readonly loopbackMss: number | null;
}

/** Observes one SYN of ours on loopback; `routeTowards` is an address whose route the probes take (default: the default route). */
export async function learnOwnSyn(sniffer: Sniffer, routeTowards?: string, timeoutMs = 3_000): Promise<OwnSyn> {
  const server = net.createServer((connection) => connection.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  let client: net.Socket | null = null;
  let watch: SynWatch | null = null;
  try {
    watch = await sniffer.watchSyn(port);
    client = net.connect({ host: '127.0.0.1', port });
    client.on('error', () => undefined); // the server hangs up at once; only the SYN matters
    const seen = await watch.next(timeoutMs);
    if (!seen)
      throw new Error(
        `did not capture our own SYN to 127.0.0.1:${port} within ${timeoutMs} ms (is the capture reading?)`,
      );
    const described = describeSyn(seen.packet);
    if (!described.ok) throw new Error(`our own SYN could not be read: ${described.reason}`);
    const routeMss = await routeMssTowards(routeTowards);
    const mss = described.syn_mss === null ? null : (routeMss ?? described.syn_mss);
    return {
      features: { syn_olayout: described.syn_olayout, syn_mss: mss },
      template: seen.packet,
      loopbackMss: described.syn_mss,
    };
  } finally {
    watch?.stop();
    client?.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The MSS our stack advertises towards `address` (default route when omitted), or null when there is no route. */
export async function routeMssTowards(address?: string): Promise<number | null> {
  // `ip route get` is a lookup in the routing table; it sends nothing.
  const lookup = address ?? '192.0.2.1';
  let route: string;
  try {
    route = (await execFileAsync('ip', ['-o', 'route', 'get', lookup])).stdout;
  } catch {
    return firstInterfaceMss();
  }
  const advmss = /\badvmss (\d+)/.exec(route);
  if (advmss) return Number(advmss[1]);
  const mtu = /\bmtu (?:lock )?(\d+)/.exec(route);
  if (mtu) return Number(mtu[1]) - IPV4_TCP_HEADERS;
  const device = /\bdev (\S+)/.exec(route);
  if (!device) return null;
  return deviceMss(device[1]!);
}

async function deviceMss(device: string): Promise<number | null> {
  try {
    const mtu = Number((await readFile(`/sys/class/net/${device}/mtu`, 'utf8')).trim());
    return Number.isFinite(mtu) && mtu > IPV4_TCP_HEADERS ? Math.min(mtu - IPV4_TCP_HEADERS, 65_495) : null;
  } catch {
    return null;
  }
}

/** No default route (a lab scanner namespace): the first interface that is up and not loopback. */
async function firstInterfaceMss(): Promise<number | null> {
  try {
    const links = (await execFileAsync('ip', ['-o', 'link', 'show', 'up'])).stdout;
    for (const line of links.split('\n')) {
      const match = /^\d+: ([^:@\s]+)[^:]*:.*\bmtu (\d+)/.exec(line);
      if (match && match[1] !== 'lo') return Number(match[2]) - IPV4_TCP_HEADERS;
    }
  } catch {
    // fall through
  }
  return null;
}
