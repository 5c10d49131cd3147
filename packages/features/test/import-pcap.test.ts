import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOW_COLUMNS, verifyVersion } from '@osfp/dataset';
import { needs } from '@osfp/test-support';
import { makeLabelledFlowsCapture, type FixtureFlow } from '../testing/index.ts';
import { importPcap } from '../src/index.ts';

// The fixture is made by real tools at test time: Scapy writes the packets, editcap adds the comments.
describe.skipIf(needs('scapy', 'tshark'))(
  'osfp import-pcap on a Scapy capture commented by editcap',
  { timeout: 120_000 },
  () => {
    let dir: string;
    let capture: string;
    let flows: FixtureFlow[];
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'osfp-import-pcap-'));
      ({ capture, flows } = makeLabelledFlowsCapture(dir));
    }, 120_000);
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('imports one row per labelled flow with a SYN-ACK, with its features and flow statistics', async () => {
      const dataDir = join(dir, 'data');
      const { manifest, counts } = await importPcap(capture, { dataDir, dataset: 'nprint' });
      expect(manifest.rows).toBe(2);
      expect(counts).toMatchObject({
        packets: 18,
        tcp_packets: 17,
        flows: 4,
        flows_with_synack: 3,
        unlabelled_flows: 1,
        comments: 3,
        comments_matched: 3,
        written: 2,
      });
      expect(manifest.classHistogram).toEqual([
        { label: 'Linux 5.X', count: 1 },
        { label: 'Windows 10', count: 1 },
      ]);
      expect(manifest.schema.columns.map((c) => c.name)).toEqual(
        expect.arrayContaining(FLOW_COLUMNS.map((c) => c.name)),
      );
      expect(manifest.runs[0]?.options).toMatchObject({ source: 'import-pcap' });
      expect(manifest.runs[0]?.targetsSha256).toMatch(/^[0-9a-f]{64}$/);

      const file = await asyncBufferFromFile(join(dataDir, 'datasets', 'nprint', 'v1', 'data.parquet'));
      const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
      for (const want of flows.filter((f) => f.label !== null && f.window > 0)) {
        const got = rows.find((r) => r['ip'] === want.server);
        expect(got, want.server).toBeDefined();
        if (!got) continue;
        expect(got['port']).toBe(want.port);
        expect(got['label']).toBe(want.label);
        expect(got['probe_status']).toBe('passive');
        expect(got['ip_ttl']).toBe(want.ttl);
        expect(got['tcp_window']).toBe(want.window);
        expect(got['syn_olayout']).toBe('mss,sok,ts,nop,ws');
        expect(got['p0f_sig']).toMatch(new RegExp(`^4:${want.ttl}\\+0:0:1460:`));
        expect(got['rtt_ms'] as number).toBeCloseTo(want.rtt_ms ?? Number.NaN, 3);
        expect(got['flow_duration_ms'] as number).toBeCloseTo(want.duration_ms, 3);
        for (const [dir, d] of [
          ['to_server', want.to_server],
          ['from_server', want.from_server],
        ] as const) {
          expect(got[`flow_packets_${dir}`], dir).toBe(d.packets);
          expect(Number(got[`flow_bytes_${dir}`]), dir).toBe(d.bytes);
          for (const stat of ['mean', 'std', 'min', 'max'] as const) {
            const value = got[`flow_iat_${dir}_${stat}_ms`] as number | null;
            if (d.iat[stat] === null) expect(value, `${dir} ${stat}`).toBeNull();
            else expect(value, `${dir} ${stat}`).toBeCloseTo(d.iat[stat], 3);
          }
        }
      }
      expect((await verifyVersion(dataDir, 'nprint@1')).ok).toBe(true);

      // The same file again: same run, batches already written, so the next version holds the same rows.
      const again = await importPcap(capture, { dataDir, dataset: 'nprint' });
      expect(again.manifest.version).toBe(2);
      expect(again.manifest.rows).toBe(2);
      expect(again.manifest.contentSha256).toBe(manifest.contentSha256);
    });

    it('refuses truncated, foreign and label-less captures, writing nothing', async () => {
      const dataDir = join(dir, 'data-bad');
      const bytes = await readFile(capture);
      const truncated = join(dir, 'truncated.pcapng');
      await writeFile(truncated, bytes.subarray(0, bytes.length - 30));
      await expect(importPcap(truncated, { dataDir, dataset: 'x' })).rejects.toThrow(
        /truncated\.pcapng: .*(truncated|incomplete)/,
      );
      const foreign = join(dir, 'notes.txt');
      await writeFile(foreign, 'hello, this is not a capture\n');
      await expect(importPcap(foreign, { dataDir, dataset: 'x' })).rejects.toThrow(
        /notes\.txt: not a pcap or pcapng capture/,
      );
      await expect(importPcap(join(dir, 'missing.pcapng'), { dataDir, dataset: 'x' })).rejects.toThrow(
        /missing\.pcapng: no such file/,
      );
      await expect(importPcap(capture, { dataDir, dataset: 'x', labelPattern: '^nomatch$' })).rejects.toThrow(
        /no labelled flow with a SYN-ACK .*0 of 3 packet comments matched/,
      );
      expect(await readdir(dataDir).catch(() => [])).not.toContain('datasets');
    });
  },
);
