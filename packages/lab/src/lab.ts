/**
 * Bringing a lab up and down. Everything lives in network namespaces named
 * after the prefix; the root namespace gets no interface, route, rule or
 * process, so several labs coexist and the root namespace cannot reach any.
 *
 *   hub ns: bridge br0 (the LAN 198.18.0.0/24) + dnsmasq on 198.18.0.53
 *   scan ns: 198.18.0.10, routes only to the lab's blocks (no default route)
 *   one ns per personality: LAN 198.18.0.10x + its /18 as a `local` route
 *   hostile ns: LAN 198.18.0.200 + 198.18.250.0/24
 *   scanners, personalities and hostile hosts are dual-stack: each IPv4
 *     address and block has an IPv6 twin in fd00:18::/96 (ipv6.ts)
 *   emu ns: LAN 198.18.0.90, no address or route for the emulated blocks
 *     (198.18.4.0 - 198.18.247.255) and forwarding off, so its kernel stays
 *     silent; one responder process per emulated OS reads and writes frames
 *     for its block with libpcap
 *
 * Veth pairs are created inside the hub and moved straight into the other
 * namespace, so neither end ever exists in the root namespace.
 *
 * With a network profile, a personality's veth is not a port of br0: a path
 * bridge process in the hub carries its frames between that veth and a
 * second veth pair whose other end is the port, holding each for its path's
 * delay (path-bridge/); the responders apply the same profile themselves.
 */
import { open, mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dnsmasqZoneOptions } from './dns-zone.ts';
import { IPV6_SYSCTLS, labCidr6, labIpv6, lanMac, writeNeighbours } from './ipv6.ts';
import { extraSlug, type EmulatedOs, type EmulatedOsRequest } from './emulator/catalog.ts';
import { DEFAULT_OS_DB, loadOsDb, requireFingerprint } from './emulator/os-db.ts';
import { ip, listNamespaces, namespacePids, run, runIn, setSysctls } from './netns.ts';
import { PERSONALITIES, stackRouteMetrics, stackSysctls } from './personalities.ts';
import {
  DNS_ADDRESS,
  EMULATED_LAN_ADDRESS,
  EMULATED_ROUTES,
  MAX_EMULATED,
  defaultEmulated,
  emulatedCidr,
  emulatedHost,
  HOSTILE_CIDR,
  HOSTILE_LAN_ADDRESS,
  HOSTILE_PORT,
  LAN_CIDR,
  LAN_PREFIX_LENGTH,
  LAB_DOMAIN,
  MAX_SCANNER_INDEX,
  SCANNER_INTERFACE,
  hostileAddress,
  isLabNamespace,
  labNamespaces,
  labPlan,
  labPrefix,
  personalityCidr,
  personalityLanAddress,
  scannerAddress,
  scannerNamespace,
  type LabOptions,
  type LabPlan,
} from './plan.ts';
import type { PathBridgeStats } from './path-bridge/path-bridge.ts';
import {
  STATE_ROOT,
  isAlive,
  logPath,
  killPids,
  recordedProcesses,
  removeState,
  startDetached,
  stateDir,
  waitForLog,
} from './processes.ts';
import { LabError } from './lab-error.ts';
import { checkLabTools } from './preflight.ts';
import { profilePath, sameProfile, type LabProfile } from './profile.ts';
import { makeSelfSignedCertificate } from './tls.ts';

const SERVERS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'servers');
const RESPONDER = join(dirname(fileURLToPath(import.meta.url)), 'emulator', 'responder.main.ts');
const PATH_BRIDGE = join(dirname(fileURLToPath(import.meta.url)), 'path-bridge', 'path-bridge.main.ts');
const PROFILE_STATE = 'profile.json';
const EMULATED_STATE = 'emulated.json';
const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const BRIDGE = 'br0';
/**
 * The bridge's own MAC, fixed. Left to the kernel, a bridge takes the lowest MAC
 * of its ports and changes it, without a gratuitous ARP, whenever a port with a
 * lower (random) MAC joins: every addScanner could do that. Scanners then keep
 * sending to the old MAC, which the hub drops as "other host", and the lab's DNS
 * (on the bridge) goes silent until their ARP entry expires, up to a minute.
 * Locally administered, and the rest spells 198.18.0.53.
 */
const BRIDGE_MAC = '02:00:c6:12:00:35';
const UP_MARKER = 'up.json';

export interface LabStatus {
  up: boolean;
  namespaces: string[];
  processes: { name: string; pid: number; alive: boolean }[];
  /** The network profile the lab was built with (null: a free network, or no lab). */
  profile: LabProfile | null;
}

export class LabPermissionError extends LabError {
  constructor(action: string) {
    super(`lab ${action} needs root (it creates network namespaces): run it as root, e.g. sudo pnpm lab ${action}`, 1);
  }
}

function requireRoot(action: string): void {
  if (process.getuid?.() !== 0) throw new LabPermissionError(action);
}

/** Serialises up/down/addScanner for one prefix across processes (test runners, CLI). */
async function withLock<T>(prefix: string, work: () => Promise<T>): Promise<T> {
  await mkdir(STATE_ROOT, { recursive: true });
  const lockPath = join(STATE_ROOT, `${prefix}.lock`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      let holderAlive = false;
      if (Number.isInteger(holder) && holder > 0) {
        try {
          process.kill(holder, 0);
          holderAlive = true;
        } catch {
          holderAlive = false;
        }
      }
      // An empty file may be a holder that has not written its pid yet: give it time.
      if (!holderAlive && holder > 0) await rm(lockPath, { force: true });
      if (Date.now() > deadline) throw new Error(`lab "${prefix}" is locked by process ${holder} (${lockPath})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockPath, { force: true });
    await rmdir(STATE_ROOT).catch(() => undefined);
  }
}

async function ownNamespaces(prefix: string): Promise<string[]> {
  return (await listNamespaces()).filter((name) => isLabNamespace(prefix, name));
}

function baseNamespaces(prefix: string): string[] {
  const ns = labNamespaces(prefix);
  return [ns.hub, ns.scanner, ns.hostile, ns.emulation, ...ns.personalities];
}

/** The network profile a built lab has (recorded at up), or null for none. */
async function recordedProfile(prefix: string): Promise<LabProfile | null> {
  try {
    return JSON.parse(await readFile(join(stateDir(prefix), PROFILE_STATE), 'utf8')) as LabProfile | null;
  } catch {
    return null;
  }
}

/** The emulated OSes a built lab runs (recorded at up), or null when none is recorded. */
async function recordedEmulated(prefix: string): Promise<EmulatedOs[] | null> {
  try {
    return JSON.parse(await readFile(join(stateDir(prefix), EMULATED_STATE), 'utf8')) as EmulatedOs[];
  } catch {
    return null;
  }
}

/**
 * The emulated OSes after adding `requests` to `current`: a request already
 * running (same fingerprint, slug and path) is not added twice; new ones take
 * the next free blocks. Names are checked against nmap-os-db first, so an
 * unknown one fails before anything changes.
 */
export function withExtras(
  current: readonly EmulatedOs[],
  requests: readonly EmulatedOsRequest[] = [],
  osDb = DEFAULT_OS_DB,
): EmulatedOs[] {
  const out = [...current];
  if (requests.length === 0) return out;
  const db = loadOsDb(osDb);
  for (const request of requests) {
    const r = typeof request === 'string' ? { fingerprint: request } : request;
    requireFingerprint(db, r.fingerprint);
    const same = out.find(
      (e) =>
        e.fingerprint === r.fingerprint &&
        (r.slug === undefined || e.slug === r.slug) &&
        JSON.stringify(e.path ?? null) === JSON.stringify(r.path ?? null),
    );
    if (same) continue;
    const index = Math.max(-1, ...out.map((e) => e.index)) + 1;
    if (index >= MAX_EMULATED)
      throw new Error(
        `the lab has room for ${MAX_EMULATED} emulated OSes; "${r.fingerprint}" would be number ${index + 1}`,
      );
    out.push({
      slug: r.slug ?? extraSlug(index, r.fingerprint),
      fingerprint: r.fingerprint,
      index,
      cidr: emulatedCidr(index),
      firstHost: emulatedHost(index, 0),
      ...(r.path !== undefined && { path: r.path }),
    });
  }
  return out;
}

async function statusOf(prefix: string): Promise<LabStatus> {
  const namespaces = await ownNamespaces(prefix);
  const records = await recordedProcesses(prefix);
  const processes = await Promise.all(
    records.map(async (r) => ({ name: r.name, pid: r.pid, alive: await isAlive(r) })),
  );
  const marker = await readFile(join(stateDir(prefix), UP_MARKER), 'utf8').then(
    () => true,
    () => false,
  );
  const up =
    marker &&
    baseNamespaces(prefix).every((name) => namespaces.includes(name)) &&
    processes.length > 0 &&
    processes.every((p) => p.alive);
  return { up, namespaces, processes, profile: await recordedProfile(prefix) };
}

export async function labStatus(opts?: LabOptions): Promise<LabStatus> {
  const prefix = labPrefix(opts);
  requireRoot('status');
  return statusOf(prefix);
}

/**
 * Brings the lab up; when it is already up and healthy (with the profile
 * asked for, if one is), does nothing but start the responders of extra
 * emulated OSes asked for in `opts.os`. A lab whose only fault is dead
 * responders gets just those restarted; anything else half-built, and a lab
 * running with another profile, is rebuilt from nothing.
 */
export async function labUp(opts?: LabOptions): Promise<LabPlan> {
  const base = labPlan(opts);
  requireRoot('up');
  await checkLabTools();
  // Unknown fingerprint names fail here, before the lab is touched.
  withExtras(base.emulated, opts?.os);
  return withLock(base.prefix, async () => {
    const status = await statusOf(base.prefix);
    const recorded = await recordedEmulated(base.prefix);
    const profile = opts?.profile === undefined ? status.profile : opts.profile;
    const keeps = sameProfile(profile, status.profile);
    if (recorded && keeps && (status.up || (await onlyRespondersDead(base.prefix, status)))) {
      const plan = withProfile({ ...base, emulated: withExtras(recorded, opts?.os) }, profile);
      await startResponders(plan, status);
      return publicPlan(plan);
    }
    // Half a lab (an interrupted up, a crashed server), or one with other conditions, is rebuilt from nothing.
    const plan = withProfile(
      { ...base, emulated: withExtras(base.emulated, opts?.os).map((os) => ({ ...os })) },
      profile,
    );
    await tearDown(plan.prefix);
    try {
      await build(plan);
    } catch (error) {
      await tearDown(plan.prefix);
      throw error;
    }
    return publicPlan(plan);
  });
}

function withProfile(plan: LabPlan, profile: LabProfile | null): LabPlan {
  const { profile: _old, ...rest } = plan;
  return profile ? { ...rest, profile } : rest;
}

/** The plan callers see: which process serves an OS is the lab's own business (kept in its state). */
function publicPlan(plan: LabPlan): LabPlan {
  return { ...plan, emulated: plan.emulated.map(({ process: _process, ...os }) => os) };
}

/** True when every namespace and every process but some emulated-OS responders is there. */
async function onlyRespondersDead(prefix: string, status: LabStatus): Promise<boolean> {
  const marker = await readFile(join(stateDir(prefix), UP_MARKER), 'utf8').then(
    () => true,
    () => false,
  );
  if (!marker || !baseNamespaces(prefix).every((n) => status.namespaces.includes(n))) return false;
  return status.processes.every((p) => p.alive || p.name.startsWith('emu-'));
}

/** Extras started together share a responder process, this many OSes at most. */
const EXTRAS_PER_PROCESS = 20;

/**
 * Starts the responder of every emulated OS of `plan` that is not running
 * (each default alone; extras without a process in groups), and records the
 * set. A dead process is restarted with the OSes it served.
 */
async function startResponders(plan: LabPlan, status: LabStatus | null): Promise<void> {
  const alive = new Set((status?.processes ?? []).filter((p) => p.alive).map((p) => p.name));
  const defaults = new Set(defaultEmulated().map((d) => d.slug));
  for (const os of plan.emulated) {
    if (os.process === undefined && defaults.has(os.slug) && os.index < defaults.size) os.process = `emu-${os.slug}`;
  }
  const fresh = plan.emulated.filter((os) => os.process === undefined);
  for (let i = 0; i < fresh.length; i += EXTRAS_PER_PROCESS) {
    const group = fresh.slice(i, i + EXTRAS_PER_PROCESS);
    for (const os of group) os.process = `emu-${group[0]!.slug}`;
  }
  const groups = new Map<string, EmulatedOs[]>();
  for (const os of plan.emulated) {
    const name = os.process ?? `emu-${os.slug}`;
    groups.set(name, [...(groups.get(name) ?? []), os]);
  }
  const started = [];
  for (const [name, group] of groups) {
    if (alive.has(name)) continue;
    const tls = {
      cert: join(stateDir(plan.prefix), 'tls', 'cert.pem'),
      key: join(stateDir(plan.prefix), 'tls', 'key.pem'),
    };
    // An OS's own path conditions win; the others sit behind the lab's profile.
    const path = plan.profile ? profilePath(plan.profile) : undefined;
    const configs = group.map((os) => ({
      slug: os.slug,
      fingerprint: os.fingerprint,
      cidr: os.cidr,
      device: 'eth0',
      tls,
      ...((os.path ?? path) !== undefined && { path: os.path ?? path }),
    }));
    // A little ahead of ordinary processes: a kernel stack answers in softirq context, before any
    // process runs, and a responder that waits behind a loaded machine's run queue adds that wait
    // to every round trip (measured: the prober's rate against emulated hosts nearly halves).
    // A 32 MiB young generation: every frame allocates a little, and with the default semi-space the
    // scavenger ran often enough to be a sixth of a responder's CPU (docs/benchmarks.md, emulated).
    started.push(
      await startDetached(
        plan.prefix,
        name,
        plan.emulationNamespace,
        'nice',
        [
          '-n',
          '-5',
          process.execPath,
          '--max-semi-space-size=32',
          '--import',
          'tsx',
          RESPONDER,
          JSON.stringify(configs),
        ],
        PACKAGE_DIR,
      ),
    );
  }
  // Responders parse nmap-os-db and score their profiles at start: a few seconds per OS on a loaded machine.
  for (const record of started) await waitForLog(plan.prefix, record, 'ready:', 300_000);
  await writeFile(join(stateDir(plan.prefix), EMULATED_STATE), `${JSON.stringify(plan.emulated, null, 2)}\n`);
}

/** The running lab's plan, with any extra emulated OSes it was given (the static plan when none is recorded). */
export async function runningPlan(opts?: LabOptions): Promise<LabPlan> {
  const base = labPlan(opts);
  const recorded = await recordedEmulated(base.prefix);
  const profile = await recordedProfile(base.prefix);
  return withProfile(recorded ? publicPlan({ ...base, emulated: recorded }) : base, profile);
}

/** What one path bridge has done since it started (its latest stats line). */
export interface PathBridgeReport {
  /** The personality it carries. */
  name: string;
  pid: number;
  /** CPU time of the bridge process (user + system), microseconds. */
  cpuUs: number;
  /** Its user part: the bridge's own work (system time also holds the receiving kernel's work on what it writes). */
  cpuUserUs: number;
  /** Frames read on each side and what became of them (see PathBridgeStats). */
  bridge: PathBridgeStats;
  /** libpcap send errors on either side (a full socket buffer, an oversize frame). */
  sendErrors: number;
}

/**
 * Asks every path bridge of the lab for its figures (SIGUSR2) and reads them
 * from its log: empty when the lab has no profile. What a frame costs is
 * `cpuUs / (fromLan + fromHosts)` between two calls.
 */
export async function pathBridgeReports(opts?: LabOptions): Promise<PathBridgeReport[]> {
  const prefix = labPrefix(opts);
  const records = (await recordedProcesses(prefix)).filter((r) => r.name.startsWith('path-'));
  const asked = Date.now();
  for (const record of records) if (await isAlive(record)) process.kill(record.pid, 'SIGUSR2');
  const reports: PathBridgeReport[] = [];
  for (const record of records) {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const text = await readFile(logPath(prefix, record.name), 'utf8').catch(() => '');
      const line = text
        .slice(record.logOffset ?? 0)
        .split('\n')
        .filter((l) => l.startsWith('stats: '))
        .pop();
      const stats = line ? (JSON.parse(line.slice('stats: '.length)) as BridgeStatsLine) : null;
      if (stats && stats.at >= asked) {
        reports.push({
          name: stats.name,
          pid: record.pid,
          cpuUs: stats.cpuUs,
          cpuUserUs: stats.cpuUserUs,
          bridge: stats.bridge,
          sendErrors: (stats.lan?.sendErrors ?? 0) + (stats.hosts?.sendErrors ?? 0),
        });
        break;
      }
      if (Date.now() > deadline) throw new Error(`path bridge ${record.name} did not report its figures`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return reports;
}

interface BridgeStatsLine {
  name: string;
  at: number;
  cpuUs: number;
  cpuUserUs: number;
  bridge: PathBridgeStats;
  lan?: { sendErrors: number };
  hosts?: { sendErrors: number };
}

export async function labDown(opts?: LabOptions): Promise<void> {
  const prefix = labPrefix(opts);
  requireRoot('down');
  await withLock(prefix, () => tearDown(prefix));
}

/** Adds scanner namespace number `index` (2..40) on the lab LAN; idempotent. */
export async function addScanner(index: number, opts?: LabOptions): Promise<{ namespace: string; address: string }> {
  const prefix = labPrefix(opts);
  requireRoot('up');
  const namespace = scannerNamespace(prefix, index);
  const address = scannerAddress(index);
  return withLock(prefix, async () => {
    const existing = await listNamespaces();
    if (!existing.includes(labNamespaces(prefix).hub)) {
      throw new Error(`lab "${prefix}" is not up: run labUp (pnpm lab up --prefix ${prefix}) before adding scanners`);
    }
    if (!existing.includes(namespace)) {
      try {
        await buildScanner(prefix, namespace, address, `lan-scan${index}`);
      } catch (error) {
        await ip(['netns', 'del', namespace]).catch(() => undefined);
        await rm(join('/etc/netns', namespace), { recursive: true, force: true });
        throw error;
      }
    }
    return { namespace, address };
  });
}

async function tearDown(prefix: string): Promise<void> {
  // Recorded processes first (they may have outlived a deleted namespace name),
  // then anything else still inside our namespaces, then the namespaces.
  const records = await recordedProcesses(prefix);
  const recorded: number[] = [];
  for (const record of records) if (await isAlive(record)) recorded.push(record.pid);
  const namespaces = await ownNamespaces(prefix);
  const inside = (await Promise.all(namespaces.map((ns) => namespacePids(ns)))).flat();
  await killPids([...new Set([...recorded, ...inside])]);
  for (const ns of namespaces) {
    await ip(['netns', 'del', ns]).catch(async (error: unknown) => {
      if ((await listNamespaces()).includes(ns)) throw error;
    });
    await rm(join('/etc/netns', ns), { recursive: true, force: true });
  }
  // Resolver files of scanners whose namespace is already gone.
  for (const entry of await readdir('/etc/netns').catch(() => [] as string[])) {
    if (isLabNamespace(prefix, entry)) await rm(join('/etc/netns', entry), { recursive: true, force: true });
  }
  await rmdir('/etc/netns').catch(() => undefined);
  await removeState(prefix);
}

/** The MAC address of `device` in `namespace`. */
async function linkMac(namespace: string, device: string): Promise<string> {
  const links = JSON.parse(await ip(['-n', namespace, '-j', 'link', 'show', device])) as { address?: string }[];
  const mac = links[0]?.address;
  if (!mac) throw new Error(`no MAC address for ${device} in ${namespace}`);
  return mac;
}

async function addNamespace(name: string, family: 'ipv4' | 'dual' = 'ipv4'): Promise<void> {
  await ip(['netns', 'add', name]);
  // IPv6 only where a host answers on it (ipv6.ts), and quiet there: router
  // solicitations, DAD and link-local chatter only add noise to captures.
  await setSysctls(
    name,
    family === 'dual'
      ? IPV6_SYSCTLS
      : [
          ['net.ipv6.conf.all.disable_ipv6', '1'],
          ['net.ipv6.conf.default.disable_ipv6', '1'],
        ],
  );
  await ip(['-n', name, 'link', 'set', 'lo', 'up']);
}

/**
 * Plugs `namespace` into the LAN with `address`; `metrics` go on its route to
 * the LAN. `behindPath` leaves the hub end of its veth out of the bridge and
 * adds a second veth pair (`dl-*`, a bridge port, and `dlx-*`) for a path
 * bridge to carry frames between `hubPort` and `dlx-*`.
 */
async function plugIn(
  prefix: string,
  namespace: string,
  hubPort: string,
  address: string,
  metrics: string[] = [],
  dual = false,
  behindPath: { port: string; inner: string } | null = null,
): Promise<void> {
  const hub = labNamespaces(prefix).hub;
  // Dual-stack namespaces get a MAC derived from their address: their IPv6 neighbours are written down (ipv6.ts).
  const mac = dual ? ['address', lanMac(address)] : [];
  await ip(['-n', hub, 'link', 'add', hubPort, 'type', 'veth', 'peer', 'name', 'eth0', ...mac, 'netns', namespace]);
  if (behindPath) {
    await ip(['-n', hub, 'link', 'set', hubPort, 'up']);
    await ip(['-n', hub, 'link', 'add', behindPath.port, 'type', 'veth', 'peer', 'name', behindPath.inner]);
    await ip(['-n', hub, 'link', 'set', behindPath.port, 'master', BRIDGE, 'up']);
    await ip(['-n', hub, 'link', 'set', behindPath.inner, 'up']);
    // The hub's kernel has an address (the DNS server's): it must never answer ARP on the path bridge's wires.
    await setSysctls(hub, [
      [`net.ipv4.conf.${hubPort}.arp_ignore`, '8'],
      [`net.ipv4.conf.${behindPath.inner}.arp_ignore`, '8'],
    ]);
  } else {
    await ip(['-n', hub, 'link', 'set', hubPort, 'master', BRIDGE, 'up']);
  }
  await ip(['-n', namespace, 'addr', 'add', `${address}/${LAN_PREFIX_LENGTH}`, 'dev', 'eth0', 'noprefixroute']);
  await ip(['-n', namespace, 'link', 'set', 'eth0', 'up']);
  // An explicit LAN route (not the kernel's) so it can carry the personality's metrics:
  // advmss, window and initrwnd act on connections to the scanners through this route.
  await ip(['-n', namespace, 'route', 'add', LAN_CIDR, 'dev', 'eth0', 'src', address, ...metrics]);
  if (dual) {
    const address6 = labIpv6(address);
    await ip(['-n', namespace, '-6', 'addr', 'add', `${address6}/120`, 'dev', 'eth0', 'nodad', 'noprefixroute']);
    await ip(['-n', namespace, '-6', 'route', 'add', labCidr6(LAN_CIDR), 'dev', 'eth0', 'src', address6, ...metrics]);
  }
}

async function buildScanner(
  prefix: string,
  namespace: string,
  address: string,
  hubPort: string,
  labelSources: readonly string[] = [],
): Promise<void> {
  await addNamespace(namespace, 'dual');
  await plugIn(prefix, namespace, hubPort, address, [], true);
  // The labeler's source addresses (LabPlan.labelSources): secondary addresses, so nothing else sends from them.
  if (labelSources.length > 0) {
    const lines = labelSources.map((a) => `addr add ${a}/${LAN_PREFIX_LENGTH} dev ${SCANNER_INTERFACE} noprefixroute`);
    await run('ip', ['-n', namespace, '-batch', '-'], { input: `${lines.join('\n')}\n` });
  }
  // Routes to the lab's blocks only (IPv4 and their IPv6 twins): anything else is unreachable from a scanner.
  for (const [index] of PERSONALITIES.entries()) {
    await ip(['-n', namespace, 'route', 'add', personalityCidr(index), 'via', personalityLanAddress(index)]);
    await ip([
      ...['-n', namespace, '-6', 'route', 'add', labCidr6(personalityCidr(index))],
      ...['via', labIpv6(personalityLanAddress(index))],
    ]);
  }
  await ip(['-n', namespace, 'route', 'add', HOSTILE_CIDR, 'via', HOSTILE_LAN_ADDRESS]);
  await ip(['-n', namespace, '-6', 'route', 'add', labCidr6(HOSTILE_CIDR), 'via', labIpv6(HOSTILE_LAN_ADDRESS)]);
  await writeNeighbours(namespace, [
    ...PERSONALITIES.map((_, index) => personalityLanAddress(index)),
    HOSTILE_LAN_ADDRESS,
  ]);
  for (const cidr of EMULATED_ROUTES) await ip(['-n', namespace, 'route', 'add', cidr, 'via', EMULATED_LAN_ADDRESS]);
  await setSysctls(namespace, [
    // Many short connections per second: plenty of ephemeral ports, reuse TIME_WAIT.
    ['net.ipv4.ip_local_port_range', '1024 65535'],
    ['net.ipv4.tcp_tw_reuse', '1'],
  ]);
  // `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf,
  // so every resolver in the scanner (nmap, curl, node) asks the lab's DNS only.
  await mkdir(join('/etc/netns', namespace), { recursive: true });
  await writeFile(
    join('/etc/netns', namespace, 'resolv.conf'),
    `# osfp lab ${prefix}: removed by lab down\nnameserver ${DNS_ADDRESS}\nsearch ${LAB_DOMAIN}\noptions timeout:1 attempts:2\n`,
  );
}

/** The first scanner and every one addScanner may add: the servers' IPv6 neighbours, written at build. */
const EVERY_SCANNER_ADDRESS = Array.from({ length: MAX_SCANNER_INDEX }, (_, i) => scannerAddress(i + 1));

async function build(plan: LabPlan): Promise<void> {
  const { prefix } = plan;
  const ns = labNamespaces(prefix);
  const state = stateDir(prefix);
  await mkdir(state, { recursive: true });
  await writeFile(join(state, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);

  // The LAN.
  await addNamespace(ns.hub);
  // No multicast snooping: IPv6 neighbour discovery goes to solicited-node multicast groups, and with no MLD
  // querier on the LAN a snooping bridge need not forward them.
  await ip([
    ...['-n', ns.hub, 'link', 'add', BRIDGE, 'address', BRIDGE_MAC, 'type', 'bridge'],
    ...['forward_delay', '0', 'mcast_snooping', '0'],
  ]);
  await ip(['-n', ns.hub, 'addr', 'add', `${DNS_ADDRESS}/${LAN_PREFIX_LENGTH}`, 'dev', BRIDGE]);
  await ip(['-n', ns.hub, 'link', 'set', BRIDGE, 'up']);

  await buildScanner(
    prefix,
    ns.scanner,
    plan.scannerAddress,
    'lan-scan',
    plan.labelSources.map((s) => s.address),
  );

  const profile = plan.profile ?? null;
  const bridges: { name: string; config: object }[] = [];
  for (const [index, personality] of PERSONALITIES.entries()) {
    const namespace = `${prefix}-${personality.name}`;
    await addNamespace(namespace, 'dual');
    await setSysctls(namespace, [
      ...stackSysctls(personality.stack),
      ['net.core.somaxconn', '4096'],
      ['net.ipv4.tcp_max_syn_backlog', '8192'],
      // 2: every SYN is answered with a cookie (the kernel's choice is per namespace, so per personality).
      ...(profile?.kernelSynCookies?.includes(personality.name)
        ? [['net.ipv4.tcp_syncookies', '2'] as [string, string]]
        : []),
    ]);
    const hubPort = `lan-${personality.name}`;
    const behindPath = profile ? { port: `dl-${personality.name}`, inner: `dlx-${personality.name}` } : null;
    await plugIn(
      prefix,
      namespace,
      hubPort,
      personalityLanAddress(index),
      stackRouteMetrics(personality.stack),
      true,
      behindPath,
    );
    await ip(['-n', namespace, 'route', 'add', 'local', personalityCidr(index), 'dev', 'lo']);
    await ip(['-n', namespace, '-6', 'route', 'add', 'local', labCidr6(personalityCidr(index)), 'dev', 'lo']);
    await writeNeighbours(namespace, EVERY_SCANNER_ADDRESS);
    if (profile && behindPath) {
      bridges.push({
        name: personality.name,
        config: {
          name: personality.name,
          lanDevice: behindPath.inner,
          hostDevice: hubPort,
          hostMac: await linkMac(namespace, 'eth0'),
          cidr: personalityCidr(index),
          path: profilePath(profile),
        },
      });
    }
  }

  await addNamespace(ns.hostile, 'dual');
  // Its servers bind single addresses of a `local` block: IPv4 allows that, IPv6 only with non-local binds on.
  await setSysctls(ns.hostile, [['net.ipv6.ip_nonlocal_bind', '1']]);
  await plugIn(prefix, ns.hostile, 'lan-hostile', HOSTILE_LAN_ADDRESS, [], true);
  await ip(['-n', ns.hostile, 'route', 'add', 'local', HOSTILE_CIDR, 'dev', 'lo']);
  await ip(['-n', ns.hostile, '-6', 'route', 'add', 'local', labCidr6(HOSTILE_CIDR), 'dev', 'lo']);
  await writeNeighbours(ns.hostile, EVERY_SCANNER_ADDRESS);
  await runIn(ns.hostile, 'iptables', ['-A', 'INPUT', '-d', hostileAddress('drop'), '-p', 'tcp', '-j', 'DROP']);
  await runIn(ns.hostile, 'ip6tables', [
    ...['-A', 'INPUT', '-d', labIpv6(hostileAddress('drop')), '-p', 'tcp', '-j', 'DROP'],
  ]);

  // The emulated OSes: this namespace's kernel must never answer for their blocks.
  await addNamespace(ns.emulation);
  await setSysctls(ns.emulation, [
    ['net.ipv4.ip_forward', '0'],
    ['net.ipv4.conf.all.forwarding', '0'],
  ]);
  await plugIn(prefix, ns.emulation, 'lan-emu', EMULATED_LAN_ADDRESS);
  // Belt and braces: libpcap taps frames before netfilter, so dropping them here silences only the kernel.
  for (const cidr of EMULATED_ROUTES) {
    await runIn(ns.emulation, 'iptables', ['-t', 'raw', '-A', 'PREROUTING', '-d', cidr, '-j', 'DROP']);
  }

  await writeFile(join(state, PROFILE_STATE), `${JSON.stringify(profile, null, 2)}\n`);
  const tls = await makeSelfSignedCertificate(join(state, 'tls'));
  // Servers start from the package directory so `--import tsx` resolves like it does for us.
  const node = process.execPath;
  const started = [];
  started.push({
    marker: 'started, version',
    record: await startDetached(prefix, 'dns', ns.hub, 'dnsmasq', [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--no-poll',
      '--log-facility=-',
      '--pid-file=',
      `--listen-address=${DNS_ADDRESS}`,
      '--bind-interfaces',
      '--cache-size=0',
      ...dnsmasqZoneOptions(),
    ]),
  });
  for (const personality of PERSONALITIES) {
    started.push({
      marker: 'ready:',
      record: await startDetached(
        prefix,
        `server-${personality.name}`,
        `${prefix}-${personality.name}`,
        node,
        ['--import', 'tsx', join(SERVERS_DIR, 'target-server.main.ts'), personality.name, tls.cert, tls.key],
        PACKAGE_DIR,
      ),
    });
  }
  started.push({
    marker: 'ready:',
    record: await startDetached(
      prefix,
      'server-hostile',
      ns.hostile,
      node,
      [
        '--import',
        'tsx',
        join(SERVERS_DIR, 'hostile-server.main.ts'),
        String(HOSTILE_PORT),
        ...(['silent', 'garbage', 'endless'] as const).flatMap((b) => [
          `${b}=${hostileAddress(b)}`,
          `${b}=${labIpv6(hostileAddress(b))}`,
        ]),
      ],
      PACKAGE_DIR,
    ),
  });
  for (const bridge of bridges) {
    started.push({
      marker: 'ready:',
      record: await startDetached(
        prefix,
        `path-${bridge.name}`,
        ns.hub,
        // Ahead of ordinary processes, like the responders: a path bridge waiting behind a loaded run
        // queue would add that wait to the path's delay.
        'nice',
        ['-n', '-5', node, '--import', 'tsx', PATH_BRIDGE, JSON.stringify(bridge.config)],
        PACKAGE_DIR,
      ),
    });
  }
  for (const { record, marker } of started) await waitForLog(prefix, record, marker);
  await startResponders(plan, null);
  await writeFile(join(state, UP_MARKER), `${JSON.stringify({ at: new Date().toISOString(), pid: process.pid })}\n`);
}
