/**
 * What a test needs from the machine, and what happens when it is missing:
 * outside CI the test skips with a message naming what is missing; under
 * CI=true it fails, because CI must prove every capability for real.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export type Capability =
  | 'root'
  | 'netns'
  | 'redis-server'
  | 'nmap'
  | 'p0f'
  | 'tcpdump'
  | 'tshark'
  | 'scapy'
  | 'dnsmasq'
  | 'sklearn'
  | 'tmux'
  | 'chromium';

/** Debian's chromium: the browser the dashboard tests drive (never a downloaded one). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const probes: Record<Capability, () => string | null> = {
  root: () => (process.getuid?.() === 0 ? null : 'not running as root'),
  netns: () =>
    onPath('ip') && process.getuid?.() === 0 ? null : 'cannot create network namespaces (needs root and iproute2)',
  'redis-server': () =>
    onPath('redis-server') ? null : 'redis-server is not installed (apt-get install redis-server)',
  nmap: () => (onPath('nmap') ? null : 'nmap is not installed (apt-get install nmap)'),
  p0f: () => (onPath('p0f') ? null : 'p0f is not installed (apt-get install p0f)'),
  tcpdump: () => (onPath('tcpdump') ? null : 'tcpdump is not installed (apt-get install tcpdump)'),
  tshark: () => (onPath('tshark') ? null : 'tshark is not installed (apt-get install tshark)'),
  scapy: () => (pythonWith('scapy') ? null : 'Scapy is not installed (apt-get install python3-scapy)'),
  dnsmasq: () => (onPath('dnsmasq') ? null : 'dnsmasq is not installed (apt-get install dnsmasq-base)'),
  sklearn: () =>
    pythonWith('sklearn', 'pandas')
      ? null
      : 'scikit-learn and pandas are not installed for python3 (apt-get install python3-sklearn python3-pandas)',
  tmux: () => (onPath('tmux') ? null : 'tmux is not installed (apt-get install tmux)'),
  chromium: () => (existsSync(CHROMIUM_PATH) ? null : 'chromium is not installed (apt-get install chromium)'),
};

function onPath(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// A pyenv (or venv) python3 first on PATH does not see Debian's python3-* packages,
// so the system interpreter is tried too.
const PYTHONS = ['python3', '/usr/bin/python3'];

/** The first Python interpreter that can import every one of `modules`, or null. */
export function pythonWith(...modules: [string, ...string[]]): string | null {
  for (const python of PYTHONS) {
    try {
      execFileSync(python, ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore' });
      return python;
    } catch {
      // try the next interpreter
    }
  }
  return null;
}

export const inCI = process.env['CI'] === 'true' || process.env['CI'] === '1';

/**
 * Returns false when every capability is there, else the reason to skip.
 * Under CI=true a missing capability throws, which fails the test file.
 * Use as: `describe.skipIf(needs('root', 'nmap'))(...)`.
 */
export function needs(...capabilities: Capability[]): string | false {
  const missing = capabilities.map((c) => probes[c]()).filter((m): m is string => m !== null);
  if (missing.length === 0) return false;
  const reason = `needs ${capabilities.join(', ')}: ${missing.join('; ')}`;
  if (inCI) throw new Error(`CI=true and this test cannot run: ${reason}`);
  console.warn(`skipping: ${reason}`);
  return reason;
}
