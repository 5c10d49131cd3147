/**
 * A p0f database learned from a version (issue 16) is for p0f itself: collect
 * a small labelled dataset in the lab (`osfp collect --lab`), learn a database
 * from it (`osfp dataset p0f-db`), capture with tcpdump in the scanner
 * namespace while the same hosts are probed again, and run p0f 3.09b on the
 * capture with the learned database. p0f must load it without a warning and
 * give every SYN-ACK the label the rows of that SYN-ACK's signature carry.
 *
 * The same collection is evaluated against the lab's ground truth
 * (`pnpm lab truth`, `osfp dataset evaluate --truth`): every row's address is
 * in the truth file, and the truth tables say what the rows and the file say.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labTargets } from '@osfp/lab';
import { familyOfClass, parseGroundTruth, type EvaluationReport } from '@osfp/dataset';
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

    it('loads without a warning and names every SYN-ACK as its rows do; the evaluation against the truth adds up', async () => {
      const plan = sharedLab();
      if (!plan) throw new Error('global setup brought no lab up');
      dir = await mkdtemp(join(tmpdir(), 'osfp-p0f-db-e2e-'));
      const targets = join(dir, 'lab-tranco.csv');
      // 160 names, about 80 addresses: about six hosts of each personality and of each default emulated OS.
      await writeFile(targets, `${[...labTargets(160, 'tranco')].join('\n')}\n`);
      const dataDir = join(dir, 'data');
      const collect = await runOsfp(['collect', '--lab', plan.prefix, '--targets', targets, '--data-dir', dataDir]);
      expect(collect.code, collect.output).toBe(0);
      const { rows } = await latestRows(dataDir, 'lab-tranco');
      const labelled = rows.filter((r) => r.label_status === 'ok');
      expect(labelled.length).toBeGreaterThanOrEqual(72);

      // The lab's truth, and the evaluation against it (small forest: the figures checked are counts).
      const truthFile = join(dir, 'lab-truth.csv');
      const truthRun = await runOsfp(['lab', 'truth', '--prefix', plan.prefix, '--out', truthFile]);
      expect(truthRun.code, truthRun.output).toBe(0);
      const truth = parseGroundTruth(await readFile(truthFile, 'utf8'), truthFile).byIp;
      const evaluate = await runOsfp([
        'dataset',
        'evaluate',
        'lab-tranco',
        '--truth',
        truthFile,
        '--trees',
        '5',
        '--min-support',
        '2',
        '--data-dir',
        dataDir,
      ]);
      expect(evaluate.code, evaluate.output).toBe(0);
      expect(evaluate.output).toContain(`## Against the ground truth (${truthFile})`);
      const versionDir = join(dataDir, 'datasets', 'lab-tranco', 'v1');
      expect((await stat(join(versionDir, 'evaluation', 'report.json'))).isFile()).toBe(true);
      const report = JSON.parse(
        await readFile(join(versionDir, 'evaluation', 'report.json'), 'utf8'),
      ) as EvaluationReport;
      const t = report.truth!;
      // Every collected address is a lab address: all of them have a truth.
      expect(t.rows).toMatchObject({ total: rows.length, withTruth: rows.length, withoutTruth: 0 });
      expect(t.taxonomy.note).toBeNull();
      // Nmap's figures, recomputed from the rows and the file.
      const nmapRight = rows.filter((r) => r.label_status === 'ok' && truth.get(r.ip)?.cls === r.label).length;
      expect(t.nmap.top1).toBeCloseTo(nmapRight / rows.length, 10);
      // Nmap names the emulated OSes as what they are (issue 11: >= 95 % per OS on 64 hosts; here a few hosts each).
      const emulated = rows.filter((r) => !truth.get(r.ip)?.fingerprint.startsWith("this machine's Linux kernel"));
      expect(emulated.length).toBeGreaterThanOrEqual(40);
      const emulatedRight = emulated.filter((r) => r.label_status === 'ok' && truth.get(r.ip)?.cls === r.label);
      expect(emulatedRight.length / emulated.length).toBeGreaterThanOrEqual(0.9);
      expect(t.nmap.perClass.map((c) => c.label).sort()).toEqual(
        [...new Set(rows.map((r) => truth.get(r.ip)!.cls))].sort(),
      );
      expect(t.models.map((m) => m.name)).toEqual(report.models.map((m) => m.name));
      for (const m of t.models) expect(m.figures.rows).toBe(report.rows.test);
      expect(t.passive.map((p) => [p.name, p.builtFrom])).toEqual([
        ['p0f', 'given'],
        ['p0f-learned', 'training-split'],
      ]);

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
      // One signature at least per personality and per emulated OS present (more where an OS's SYN-ACKs vary).
      expect(signatures.length).toBeGreaterThanOrEqual(new Set(labelled.map((r) => truth.get(r.ip)!.fingerprint)).size);

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
    }, 600_000);
  },
);

function parsed(row: { p0f_sig: string; tcp_window: number }) {
  return { signature: parseObservedSignature(row.p0f_sig), window: row.tcp_window };
}
