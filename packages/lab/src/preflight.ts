/**
 * The system tools `up` drives, checked before anything is created so a
 * missing package is one clear message instead of a half-built lab.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { LabError } from './lab-error.ts';

const TOOLS: readonly { command: string; apt: string }[] = [
  { command: 'ip', apt: 'iproute2' },
  { command: 'dnsmasq', apt: 'dnsmasq-base' },
  { command: 'openssl', apt: 'openssl' },
  { command: 'iptables', apt: 'iptables' },
  { command: 'sysctl', apt: 'procps' },
];

async function onPath(command: string): Promise<boolean> {
  // sbin directories too: root's tools live there even when PATH omits them.
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    try {
      await access(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // Not here.
    }
  }
  return false;
}

/** Throws naming every missing tool and the Debian package that provides it. */
export async function checkLabTools(): Promise<void> {
  const missing = [];
  for (const tool of TOOLS) if (!(await onPath(tool.command))) missing.push(tool);
  if (missing.length > 0) {
    throw new LabError(
      `lab up needs ${missing.map((t) => t.command).join(', ')}: install with ` +
        `apt-get install ${missing.map((t) => t.apt).join(' ')} (or run scripts/setup.sh)`,
    );
  }
}
