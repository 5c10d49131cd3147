/**
 * Before any scanning: is Nmap there, may it send raw packets, and which
 * Nmap and nmap-os-db will produce the labels (recorded in the manifest:
 * the same SYN-ACK labelled by another nmap-os-db is another dataset).
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { sha256OfInput, UserError } from '@osfp/dataset';

/** Nmap is missing, too old, not Nmap, or may not send raw packets: the user's to fix. */
export class NmapSetupError extends UserError {}

export interface NmapProvenance {
  /** e.g. "7.93" */
  readonly nmapVersion: string;
  readonly osDbPath: string;
  readonly osDbSha256: string;
}

/** CAP_NET_RAW's bit in /proc/PID/status CapEff (linux/capability.h). */
const CAP_NET_RAW = 13n;

/**
 * Checks Nmap can run OS detection here and returns its provenance; throws
 * an error saying what to do when Nmap is missing, too old, or the process
 * has neither root nor CAP_NET_RAW.
 */
export async function nmapPreflight(nmapPath = 'nmap'): Promise<NmapProvenance> {
  const binary = await findExecutable(nmapPath);
  const nmapVersion = await versionOf(binary);
  const major = Number.parseInt(nmapVersion, 10);
  if (!(major >= 6)) {
    throw new NmapSetupError(
      `Nmap ${nmapVersion} at ${binary} is too old: osfp reads the XML of Nmap 6 or later (osclass inside osmatch)`,
    );
  }
  await assertRawSockets();
  const osDbPath = await findOsDb(binary);
  return { nmapVersion, osDbPath, osDbSha256: await sha256OfInput(osDbPath, "Nmap's OS database") };
}

async function findExecutable(nmapPath: string): Promise<string> {
  const candidates = nmapPath.includes('/')
    ? [nmapPath]
    : (process.env['PATH'] ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, nmapPath));
  for (const candidate of candidates) {
    if (await isExecutable(candidate)) return candidate;
  }
  throw new NmapSetupError(
    nmapPath.includes('/')
      ? `Nmap not found at ${nmapPath} (or not executable); install it (apt-get install nmap) or give the right path`
      : `Nmap ("${nmapPath}") is not on PATH; install it (apt-get install nmap) or give its path`,
  );
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function versionOf(binary: string): Promise<string> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(binary, ['--version'], { timeout: 15_000 }));
  } catch (error) {
    throw new NmapSetupError(`${binary} --version failed (${(error as Error).message}); is this Nmap?`);
  }
  const version = /Nmap version (\S+)/.exec(stdout)?.[1];
  if (!version) throw new NmapSetupError(`${binary} --version did not print "Nmap version ...": is this Nmap?`);
  return version;
}

async function assertRawSockets(): Promise<void> {
  if (process.getuid?.() === 0) return;
  if (await hasEffectiveCapability(CAP_NET_RAW)) return;
  // Nmap's own escape hatch when its binary carries the capabilities (setcap) instead of this process.
  if (process.env['NMAP_PRIVILEGED'] !== undefined) return;
  throw new NmapSetupError(
    'Nmap OS detection (-O) sends raw packets: run as root, or give this process CAP_NET_RAW, ' +
      'or `setcap cap_net_raw,cap_net_admin+eip $(command -v nmap)` and set NMAP_PRIVILEGED=1',
  );
}

async function hasEffectiveCapability(bit: bigint): Promise<boolean> {
  try {
    const status = await readFile('/proc/self/status', 'utf8');
    const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
    return hex !== undefined && ((BigInt(`0x${hex}`) >> bit) & 1n) === 1n;
  } catch {
    return false;
  }
}

/** Where Nmap itself looks for its data files, in its order (nmap.org/book/data-files.html). */
async function findOsDb(binary: string): Promise<string> {
  const real = await realpath(binary).catch(() => binary);
  const dirs = [
    process.env['NMAPDIR'],
    join(homedir(), '.nmap'),
    dirname(real),
    join(dirname(real), '..', 'share', 'nmap'),
    '/usr/local/share/nmap',
    '/usr/share/nmap',
  ].filter((d): d is string => d !== undefined && d !== '');
  for (const dir of dirs) {
    const path = join(dir, 'nmap-os-db');
    try {
      await access(path, constants.R_OK);
      return path;
    } catch {
      // Not here; Nmap would look further too.
    }
  }
  throw new NmapSetupError(`nmap-os-db not found (looked in ${dirs.join(', ')}); reinstall Nmap or set NMAPDIR`);
}
