/**
 * Helpers of the pipeline e2e tests: run osfp commands and Redis inside lab
 * namespaces, read a dataset's latest version back, and know which lab hosts
 * a targets file should yield.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { inNamespace, labNameAddress, labNameAddress6, whoAnswers } from '@osfp/lab';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const cliMain = join(repoRoot, 'packages', 'cli', 'src', 'main.ts');

export interface Running {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number>;
}

/** Starts `osfp ARGS` (in a namespace when given); stdout and stderr are collected together. */
export function startOsfp(args: string[], options: { namespace?: string; env?: Record<string, string> } = {}): Running {
  const base: [string, string[]] = [process.execPath, ['--import', 'tsx', cliMain, ...args]];
  const [command, full] = options.namespace ? inNamespace(options.namespace, base[0], base[1]) : base;
  const child = spawn(command, full, {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const exited = once(child, 'exit').then(([code]) => (code as number | null) ?? 137);
  return { child, output: () => text, exited };
}

export async function runOsfp(
  args: string[],
  options: { namespace?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; output: string }> {
  const run = startOsfp(args, options);
  const code = await run.exited;
  return { code, output: run.output() };
}

/** Waits until `predicate(output)` holds, or fails naming what was awaited. */
export async function waitForOutput(
  run: Running,
  predicate: (text: string) => boolean,
  what: string,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate(run.output())) {
    if (run.child.exitCode !== null)
      throw new Error(`process exited (${run.child.exitCode}) before ${what}:\n${run.output().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${run.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The run id in a coordinator's log. */
export function runIdIn(output: string): string | null {
  return /"run":"([^"]+)"/.exec(output)?.[1] ?? null;
}

/** A redis-server in a namespace, AOF on, files in `dir`. */
export function startRedisIn(namespace: string, options: { bind: string; port: number; dir: string }): ChildProcess {
  const [command, args] = inNamespace(namespace, 'redis-server', [
    '--bind',
    options.bind,
    '--port',
    String(options.port),
    '--dir',
    options.dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--maxmemory-policy',
    'noeviction',
    '--save',
    '',
    '--protected-mode',
    'no',
  ]);
  return spawn(command, args, { stdio: 'ignore' });
}

export interface DatasetRowLite {
  ip: string;
  ip_version: number | null;
  synack_count: number | null;
  syn_retransmitted: boolean | null;
  port: number;
  domains: string[];
  p0f_sig: string;
  tcp_window: number;
  label: string | null;
  label_2: string | null;
  label_status: string;
  probe_status: string;
}

/** Rows of the latest version of `dataset`, read straight from its Parquet file. */
export async function latestRows(
  dataDir: string,
  dataset: string,
): Promise<{ version: number; rows: DatasetRowLite[] }> {
  const dir = join(dataDir, 'datasets', dataset);
  const versions = (await readdir(dir))
    .map((d) => /^v(\d+)$/.exec(d)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number);
  const version = Math.max(...versions);
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const reader = await conn.runAndReadAll(
    `SELECT ip, ip_version, synack_count, syn_retransmitted, port, domains, p0f_sig, tcp_window, label, label_2, label_status, probe_status FROM read_parquet('${join(dir, `v${version}`, 'data.parquet')}') ORDER BY ip, port`,
  );
  const rows = reader.getRowObjectsJS() as unknown as DatasetRowLite[];
  conn.closeSync();
  db.closeSync();
  return { version, rows };
}

/**
 * Address -> names of a Tranco-format lab list, for the hosts that complete a
 * handshake; with IPv6 (`--ip-version both`), the IPv6 twins of the
 * dual-stack hosts too (the emulated OSes are IPv4 only).
 */
export async function expectedResponsive(
  targetsFile: string,
  families: ReadonlySet<4 | 6> = new Set([4]),
): Promise<Map<string, string[]>> {
  const expected = new Map<string, string[]>();
  for (const line of (await readFile(targetsFile, 'utf8')).split('\n')) {
    const name = line.split(',')[1]?.trim();
    if (!name) continue;
    const ip = labNameAddress(name);
    if (ip === null) continue;
    const who = whoAnswers(ip);
    // Hosts that complete the handshake: every personality and emulated OS, and the hostile hosts that accept.
    const answers =
      who !== null &&
      ('personality' in who || 'emulated' in who || ['silent', 'garbage', 'endless'].includes(who.hostile));
    if (!answers) continue;
    const ip6 = labNameAddress6(name);
    for (const address of [families.has(4) ? ip : null, families.has(6) ? ip6 : null]) {
      if (address !== null) expected.set(address, [...(expected.get(address) ?? []), name].sort());
    }
  }
  return expected;
}

/** Checks "every responsive lab host exactly once, with all its names and a SYN-ACK". */
export function checkEveryHostOnce(rows: readonly DatasetRowLite[], expected: ReadonlyMap<string, string[]>): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const row of rows) seen.set(row.ip, (seen.get(row.ip) ?? 0) + 1);
  for (const [ip, n] of seen) if (n !== 1) problems.push(`${ip} appears ${n} times`);
  for (const ip of expected.keys()) if (!seen.has(ip)) problems.push(`${ip} is missing`);
  for (const ip of seen.keys()) if (!expected.has(ip)) problems.push(`${ip} was not expected`);
  for (const row of rows) {
    const names = expected.get(row.ip);
    if (names && JSON.stringify([...row.domains].sort()) !== JSON.stringify([...new Set(names)])) {
      problems.push(`${row.ip} has domains ${row.domains.join(' ')}, expected ${names.join(' ')}`);
    }
    if (!row.p0f_sig) problems.push(`${row.ip} has no p0f signature`);
  }
  return problems;
}
