/**
 * Runs the real p0f 3.09b on a capture with a given fingerprint database and
 * returns what it said about every SYN-ACK, and what it printed while loading
 * the database (warnings start with `[!]`, fatal errors with `[-]`).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface P0fSynAckVerdict {
  readonly client: string;
  readonly clientPort: number;
  readonly server: string;
  readonly serverPort: number;
  /** null for p0f's `???`. */
  readonly os: string | null;
  readonly quality: 'exact' | 'fuzzy' | 'generic';
  readonly rawSignature: string;
}

export interface P0fRun {
  /** p0f's exit status. */
  readonly status: number | null;
  /** Everything p0f printed (stdout and stderr). */
  readonly output: string;
  /** Lines of `output` that are warnings (`[!]`) or errors (`[-]`). */
  readonly complaints: readonly string[];
  readonly synAcks: readonly P0fSynAckVerdict[];
}

/** `p0f -f database -r capture -o LOG`; `dir` holds the log (removed afterwards). */
export function runP0f(database: string, capture: string, dir: string): P0fRun {
  const log = join(dir, `p0f-${process.pid}-${Date.now()}.log`);
  const run = spawnSync('p0f', ['-f', database, '-r', capture, '-o', log], { encoding: 'utf8' });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  const synAcks: P0fSynAckVerdict[] = [];
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    // No log: p0f stopped before reading the capture; `status` and `output` say why.
  }
  rmSync(log, { force: true });
  for (const line of text.split('\n')) {
    if (!line.includes(' mod=syn+ack|')) continue;
    const field = (name: string) => new RegExp(`\\|${name}=([^|]*)`).exec(line)?.[1];
    const [client, clientPort] = (field('cli') ?? '').split('/');
    const [server, serverPort] = (field('srv') ?? '').split('/');
    const os = field('os');
    const flags = (field('params') ?? '').split(' ');
    if (!client || !server || os === undefined) throw new Error(`unexpected p0f line: ${line}`);
    synAcks.push({
      client,
      clientPort: Number(clientPort),
      server,
      serverPort: Number(serverPort),
      os: os === '???' ? null : os,
      quality: flags.includes('fuzzy') ? 'fuzzy' : flags.includes('generic') ? 'generic' : 'exact',
      rawSignature: field('raw_sig') ?? '',
    });
  }
  const complaints = output.split('\n').filter((l) => /^\s*\[[!-]\]/.test(l));
  return { status: run.status, output, complaints, synAcks };
}
