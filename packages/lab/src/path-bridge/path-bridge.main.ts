/**
 * The path bridge process of one kernel personality, started by the lab in
 * the hub namespace when a network profile is up:
 *
 *   node --import tsx path-bridge.main.ts '<json PathBridgeConfig>'
 *
 * It reads frames with libpcap on two interfaces of the hub, the LAN side (a
 * veth whose peer is a port of the hub's bridge) and the personality's side
 * (the hub end of the veth to its namespace), and writes each to the other
 * side when its path says so. Prints `ready: ...` once both capture, a stats
 * line every 30 s and on SIGUSR2 (with this process's CPU time, so the cost
 * per frame can be read off), and exits on SIGTERM/SIGINT.
 */
import { openFrameIo } from '../emulator/frame-io.ts';
import type { PathSpec } from '../emulator/path.ts';
import { PathBridge } from './path-bridge.ts';

export interface PathBridgeConfig {
  /** The personality (for logs). */
  name: string;
  /** Hub interface on the LAN side (frames from the bridge br0 come in here). */
  lanDevice: string;
  /** Hub interface on the personality's side (its namespace's eth0 is the peer). */
  hostDevice: string;
  /** MAC of the personality's eth0: the only unicast frames from the LAN worth forwarding. */
  hostMac: string;
  /** The personality's block, e.g. 198.19.0.0/18. */
  cidr: string;
  path: PathSpec;
}

const config = JSON.parse(process.argv[2] ?? '{}') as Partial<PathBridgeConfig>;
if (!config.name || !config.lanDevice || !config.hostDevice || !config.hostMac || !config.cidr || !config.path) {
  console.error(
    'usage: path-bridge.main.ts \'{"name","lanDevice","hostDevice","hostMac","cidr","path"}\' (see PathBridgeConfig)',
  );
  process.exit(2);
}
const { name, lanDevice, hostDevice, hostMac, cidr, path } = config as PathBridgeConfig;
const [base = '', bits = '32'] = cidr.split('/');
const blockBase = base.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
const blockSize = 2 ** (32 - Number(bits));

// Frames are handed on through whichever side they must leave by; the I/O objects exist before the first frame.
let lan: ReturnType<typeof openFrameIo> | null = null;
let hosts: ReturnType<typeof openFrameIo> | null = null;
const bridge = new PathBridge({
  spec: path,
  blockBase,
  blockSize,
  toHosts: (frame, length) => hosts?.send(frame, length),
  toLan: (frame, length) => lan?.send(frame, length),
});
// `inbound`: only what arrives on each interface, never what this process (or the hub's kernel) sends out of it.
hosts = openFrameIo({
  device: hostDevice,
  filter: 'inbound',
  onFrame: (frame, length) => bridge.fromHosts(frame, length),
});
lan = openFrameIo({
  device: lanDevice,
  filter: `inbound and (ether dst ${hostMac} or ether broadcast or ether multicast)`,
  onFrame: (frame, length) => bridge.fromLan(frame, length),
});

const report = (): void => {
  const cpu = process.cpuUsage();
  console.log(
    `stats: ${JSON.stringify({
      name,
      at: Date.now(),
      cpuUs: cpu.user + cpu.system,
      // System time includes what the receiving namespace's kernel does with a frame this process writes
      // (a veth delivers it in the writer's context): the user part is the bridge's own.
      cpuUserUs: cpu.user,
      bridge: bridge.stats,
      lan: lan?.stats,
      hosts: hosts?.stats,
    })}`,
  );
};
const reporter = setInterval(report, 30_000);
process.on('SIGUSR2', report);
const stop = (): void => {
  clearInterval(reporter);
  bridge.close();
  lan?.close();
  hosts?.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
console.log(`ready: path bridge ${name} ${lanDevice} <-> ${hostDevice} for ${cidr}; path ${JSON.stringify(path)}`);
