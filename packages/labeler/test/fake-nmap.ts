/**
 * Stand-ins for Nmap: shell scripts that print a fixture, crash, or hang,
 * so the process handling is tested without sending a single packet.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeNmap {
  readonly path: string;
  readonly dir: string;
  /** argv and stdin of every run, one file each. */
  calls(): { argv: string[]; stdin: string }[];
  remove(): void;
}

/** `body` is POSIX sh run after argv and stdin are recorded; $DIR is the scratch dir. */
export function fakeNmap(body: string): FakeNmap {
  const dir = mkdtempSync(join(tmpdir(), 'osfp-fake-nmap-'));
  const path = join(dir, 'nmap');
  writeFileSync(
    path,
    `#!/bin/sh
DIR='${dir}'
n=$(mktemp "$DIR/call.XXXXXX")
printf '%s\\n' "$@" > "$n.argv"
cat > "$n.stdin"
${body}
`,
  );
  chmodSync(path, 0o755);
  return {
    path,
    dir,
    calls() {
      return readdirSync(dir)
        .filter((f) => f.endsWith('.argv'))
        .map((f) => ({
          argv: readFileSync(join(dir, f), 'utf8').trimEnd().split('\n'),
          stdin: readFileSync(join(dir, f.replace(/\.argv$/, '.stdin')), 'utf8'),
        }));
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A fixture's path, for `cat` inside a fake. */
export function fixturePath(name: string): string {
  return new URL(`./fixtures/${name}`, import.meta.url).pathname;
}

/** Whether a process still runs; a zombie (dead, not yet reaped by its new parent) does not. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
