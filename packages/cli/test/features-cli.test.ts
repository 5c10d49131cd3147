import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SYNACKS_PCAP } from '@osfp/features/testing';
import { FEATURES_OUTPUT_COLUMNS, printFeatures } from '../src/commands/features.ts';
import { runCli } from '../src/program.ts';

const fixture = SYNACKS_PCAP;
const dir = mkdtempSync(join(tmpdir(), 'osfp-features-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(file: string, format: 'jsonl' | 'csv'): Promise<{ out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: Buffer[] = [];
  const errChunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  err.on('data', (c: Buffer) => errChunks.push(c));
  await printFeatures(file, format, out, err);
  return { out: Buffer.concat(chunks).toString(), err: Buffer.concat(errChunks).toString() };
}

describe('osfp features', () => {
  it('prints one JSON line per SYN-ACK with endpoints, every feature column and the SYN', async () => {
    const { out, err } = await run(fixture, 'jsonl');
    const rows = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.length).toBe(755); // 752 with their SYN + 3 without
    for (const row of rows) expect(Object.keys(row)).toEqual([...FEATURES_OUTPUT_COLUMNS]);
    expect(rows[0]).toMatchObject({
      src_ip: '198.18.1.2',
      src_port: 80,
      dst_ip: '198.18.0.2',
      dst_port: 20000,
      syn_mss: 1460,
    });
    expect(rows.filter((r) => r['syn_olayout'] === null)).toHaveLength(3);
    expect(err).toMatch(
      /synacks\.pcap: 1517 packets, (\d+) SYN-ACKs \(\1 IPv4, 0 IPv6; 752 with their SYN\), rejected: .*; without their SYN: 3 no SYN in the file; skipped: 1 non-first IP fragments$/m,
    );
  });

  it('prints the same records as CSV with a header', async () => {
    const { out } = await run(fixture, 'csv');
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe(FEATURES_OUTPUT_COLUMNS.join(','));
    expect(lines).toHaveLength(756);
    expect(lines[1]).toMatch(/^2023-11-14T22:13:20\.001Z,198\.18\.1\.2,80,198\.18\.0\.2,20000,4,46,64,18,true,/);
    // p0f_sig holds commas, so the CSV library quotes it
    expect(lines[1]).toContain('"4:46+18:0:1400:mss*10,0:mss:df:0"');
  });

  it('exits non-zero with a message naming the file when it cannot be read', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      writeFileSync(join(dir, 'notes.txt'), 'not a capture');
      expect(await runCli(['node', 'osfp', 'features', join(dir, 'missing.pcap')])).toBe(1);
      expect(await runCli(['node', 'osfp', 'features', join(dir, 'notes.txt')])).toBe(1);
      expect(await runCli(['node', 'osfp', 'features', fixture, '--format', 'xml'])).not.toBe(0);
      const printed = stderr.mock.calls.map((c) => String(c[0])).join('');
      expect(printed).toContain(`features: ${join(dir, 'missing.pcap')}: no such file`);
      expect(printed).toContain(`features: ${join(dir, 'notes.txt')}: not a pcap or pcapng capture`);
      expect(printed).toMatch(/argument 'xml' is invalid/);
    } finally {
      stderr.mockRestore();
    }
  });
});
