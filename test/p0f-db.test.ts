/**
 * A p0f database learned from a version (issue 16) is for p0f itself: collect
 * a small labelled dataset in the lab (`osfp collect --lab`), learn a database
 * from it (`osfp dataset p0f-db`), capture with tcpdump in the scanner
 * namespace while the same hosts are probed again, and run p0f 3.09b on the
 * capture with the learned database. p0f must load it without a warning and
 * give every SYN-ACK the label the rows of that SYN-ACK's signature carry.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labTargets } from '@osfp/lab';
import { familyOfClass } from '@osfp/dataset';
import { findMatch, parseObservedSignature, parseP0fDatabase } from '@osfp/features';
import { runP0f } from '@osfp/features/testing';
import { needs } from '@osfp/test-support';
import { probeFrom, startCapture } from './lab-support/lab-traffic.ts';
import { sharedLab } from './lab-support/shared-lab.ts';
import { latestRows, runOsfp } from './pipeline-helpers.ts';

describe.skipIf(needs('root', 'netns', 'redis-server', 'nmap', 'dnsmasq', 'p0f', 'tcpdump'))(
  'osfp dataset p0f-db in p0f 3.09b, on a capture of the lab hosts it was learned from',
  () => {
    let dir = '';
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('loads without a warning and names every SYN-ACK as its rows do', async () => {
      const plan = sharedLab();
      if (!plan) throw new Error('global setup brought no lab up');
      dir = await mkdtemp(join(tmpdir(), 'osfp-p0f-db-e2e-'));
      const targets = join(dir, 'lab-tranco.csv');
      // 80 names, 40 addresses: ten hosts of each personality.
      await writeFile(targets, `${[...labTargets(80, 'tranco')].join('\n')}\n`);
      const dataDir = join(dir, 'data');
      const collect = await runOsfp(['collect', '--lab', plan.prefix, '--targets', targets, '--data-dir', dataDir]);
      expect(collect.code, collect.output).toBe(0);
      const { rows } = await latestRows(dataDir, 'lab-tranco');
      const labelled = rows.filter((r) => r.label_status === 'ok');
      expect(labelled.length).toBeGreaterThanOrEqual(36);

      // Nmap labels some personalities unevenly (see packages/lab/README.md): a plain majority keeps all four in.
      const database = join(dir, 'lab.fp');
      const learn = await runOsfp([
        'dataset',
        'p0f-db',
        'lab-tranco',
        '--out',
        database,
        '--min-purity',
        '0.5',
        '--min-support',
        '2',
        '--data-dir',
        dataDir,
      ]);
      expect(learn.code, learn.output).toBe(0);
      const signatures = parseP0fDatabase(await readFile(database, 'utf8'), database).tcpResponse;
      expect(signatures.length).toBe(plan.personalities.length);

      // The same hosts again, from the same scanner stack, while tcpdump records the handshakes.
      const capture = join(dir, 'lab.pcap');
      const stop = await startCapture(plan.scannerNamespace, capture);
      const probes = await probeFrom(
        plan.scannerNamespace,
        labelled.map((r) => ({ host: r.ip, port: r.port, watchMs: 300 })),
      );
      await stop();
      expect(probes.filter((p) => !p.connected)).toEqual([]);

      const p0f = runP0f(database, capture, dir);
      expect(p0f.complaints).toEqual([]);
      expect(p0f.output).toContain(`[+] Loaded ${signatures.length} signatures from '${database}'.`);

      // What each signature's rows carry: the majority class (or the family of a generic label).
      const classesBySignature = new Map<string, Map<string, number>>();
      for (const r of labelled) {
        const key = String(findMatch(signatures, parsed(r))?.signature.line);
        const counts = classesBySignature.get(key) ?? new Map<string, number>();
        counts.set(r.label!, (counts.get(r.label!) ?? 0) + 1);
        classesBySignature.set(key, counts);
      }
      for (const r of labelled) {
        const verdict = p0f.synAcks.find((v) => v.server === r.ip && v.serverPort === r.port);
        expect(verdict, `p0f saw the SYN-ACK of ${r.ip}`).toBeDefined();
        expect(verdict!.rawSignature, r.ip).toBe(r.p0f_sig);
        const match = findMatch(signatures, parsed(r));
        expect(match, `${r.p0f_sig} is in the database`).not.toBeNull();
        const counts = classesBySignature.get(String(match!.signature.line))!;
        const majority = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
        const label = match!.signature.label;
        expect(verdict!.os, r.ip).toBe(label.text);
        expect(verdict!.quality, r.ip).toBe(label.generic ? 'generic' : 'exact');
        if (label.generic) expect(familyOfClass(label.text)).toBe(familyOfClass(majority));
        else expect(label.text).toBe(majority);
      }
    }, 300_000);
  },
);

function parsed(row: { p0f_sig: string; tcp_window: number }) {
  return { signature: parseObservedSignature(row.p0f_sig), window: row.tcp_window };
}
