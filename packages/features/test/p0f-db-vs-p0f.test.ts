/**
 * The p0f baseline must say what p0f itself says. p0f 3.09b and osfp read the
 * same captures (fixtures/synacks.pcap: Scapy-made SYN-ACKs of every p0f.fp
 * response signature, quirk and TTL corner; and near misses made at test time
 * by fixtures/gen_p0f_near_misses.py, where p0f answers fuzzy or nothing); for
 * every SYN-ACK p0f reports, our match of osfp's p0f_sig against the same
 * p0f.fp must name the same OS with the same match quality.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs, pythonWith } from '@osfp/test-support';
import { runP0f } from '../testing/index.ts';
import { featuresFromCapture } from '../src/index.ts';
import { layoutMatcher, loadP0fDatabase, matchSynAck, parseObservedSignature } from '../src/index.ts';

const SYNACKS = fileURLToPath(new URL('./fixtures/synacks.pcap', import.meta.url));
const NEAR_MISSES = fileURLToPath(new URL('./fixtures/gen_p0f_near_misses.py', import.meta.url));
const P0F_DB = '/etc/p0f/p0f.fp';

interface P0fVerdict {
  os: string | null;
  quality: 'exact' | 'fuzzy' | 'generic';
}

/** client port -> what p0f said about the SYN-ACK sent to it. */
function p0fVerdicts(capture: string, dir: string): Map<number, P0fVerdict> {
  const run = runP0f(P0F_DB, capture, dir);
  if (run.status !== 0) throw new Error(`p0f failed: ${run.output}`);
  return new Map(run.synAcks.map((v) => [v.clientPort, { os: v.os, quality: v.quality }]));
}

/** What our matcher says about every SYN-ACK (with its SYN) of the capture that p0f also reported. */
async function ourVerdicts(
  capture: string,
  reported: ReadonlyMap<number, P0fVerdict>,
): Promise<Map<number, P0fVerdict>> {
  const db = await loadP0fDatabase(P0F_DB);
  const indexed = layoutMatcher(db.tcpResponse);
  const ours = new Map<number, P0fVerdict>();
  for await (const r of featuresFromCapture(capture)) {
    if (!r.syn || !reported.has(r.dst_port)) continue;
    const observed = { signature: parseObservedSignature(r.features.p0f_sig), window: r.features.tcp_window };
    const m = matchSynAck(db, observed);
    // The indexed matcher of the evaluation baselines must say the same.
    expect(indexed(observed), r.features.p0f_sig).toEqual(m);
    ours.set(
      r.dst_port,
      m === null ? { os: null, quality: 'exact' } : { os: m.signature.label.text, quality: m.quality },
    );
  }
  return ours;
}

const normalised = (verdicts: ReadonlyMap<number, P0fVerdict>) =>
  new Map([...verdicts].map(([port, v]) => [port, v.os === null ? 'no match' : `${v.os} (${v.quality})`]));

describe.skipIf(needs('p0f'))('p0f-db matching vs p0f 3.09b on the same SYN-ACKs', { timeout: 60_000 }, () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'osfp-p0f-db-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('names the same OS for every SYN-ACK of every p0f.fp response signature', async () => {
    const p0f = p0fVerdicts(SYNACKS, dir);
    expect(p0f.size).toBeGreaterThan(400);
    expect(normalised(await ourVerdicts(SYNACKS, p0f))).toEqual(normalised(p0f));
  });

  it.skipIf(needs('scapy'))('agrees on near misses too: exact, fuzzy or nothing, as p0f decides', async () => {
    const capture = join(dir, 'near-misses.pcap');
    execFileSync(pythonWith('scapy') ?? 'python3', [NEAR_MISSES, capture], { stdio: 'ignore' });
    const p0f = p0fVerdicts(capture, dir);
    expect(p0f.size).toBe(45);
    expect(normalised(await ourVerdicts(capture, p0f))).toEqual(normalised(p0f));
    // The variations reach every kind of verdict, so the comparison means something.
    const kinds = new Set([...p0f.values()].map((v) => (v.os === null ? 'none' : v.quality)));
    expect(kinds).toEqual(new Set(['exact', 'fuzzy', 'none']));
  });
});
