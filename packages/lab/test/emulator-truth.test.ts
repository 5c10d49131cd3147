import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EMULATED,
  DEFAULT_OS_DB,
  fingerprintClass,
  kernelClassLine,
  labPlan,
  labTruth,
  loadOsDb,
  requireFingerprint,
  withExtras,
} from '../src/index.ts';

const installed = existsSync(DEFAULT_OS_DB);

describe.skipIf(!installed)('default emulated OSes and ground truth', () => {
  it('are fingerprints whose first Class line gives the wanted class, one per class of the table', () => {
    const db = loadOsDb();
    for (const d of DEFAULT_EMULATED)
      expect(fingerprintClass(requireFingerprint(db, d.fingerprint)), d.fingerprint).toBe(d.expectedClass);
    expect(new Set(DEFAULT_EMULATED.map((d) => d.expectedClass))).toEqual(
      new Set([
        'Linux 2.6.X',
        'Linux 3.X',
        'Linux 4.X',
        'Linux 5.X',
        'FreeBSD 6.X',
        'OpenBSD 4.X',
        'Windows 2012',
        'Windows 2016',
        'embedded',
      ]),
    );
  });

  it('gives the truth of every responsive address quickly: fingerprint and classes for emulated hosts, the kernel for personalities', () => {
    const started = performance.now();
    const records = [...labTruth(labPlan())];
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(records).toHaveLength(9 * 1022 + 4 * 16382);
    expect(new Set(records.map((r) => r.ip)).size).toBe(records.length);
    const first = records[0]!;
    expect(first).toMatchObject({
      ip: '198.18.4.1',
      source: 'emulated',
      host: 'linux26',
      fingerprint: 'Linux 2.6.32',
      family: 'Linux',
      gen: '2.6.X',
      class: 'Linux 2.6.X',
    });
    expect(first.cpe[0]).toMatch(/^cpe:\/o:linux:linux_kernel/);
    const kernel = records.find((r) => r.source === 'kernel')!;
    expect(kernel.fingerprint).toMatch(/this machine's Linux kernel/);
    expect(kernel.classLines).toEqual([kernelClassLine()]);
  });

  it('adds extras by name on the next free blocks, and rejects unknown names listing the closest', () => {
    const base = labPlan().emulated;
    const more = withExtras(base, [
      'OpenBSD 4.6',
      { fingerprint: 'OpenBSD 4.3', slug: 'slow-obsd', path: { delay: { kind: 'fixed', ms: 100 } } },
    ]);
    expect(more.slice(base.length).map((e) => [e.index, e.slug, e.cidr])).toEqual([
      [9, 'x9-openbsd-4-6', '198.18.40.0/22'],
      [10, 'slow-obsd', '198.18.44.0/22'],
    ]);
    // An OS already emulated (a default here) with the same slug and path is not added twice.
    expect(withExtras(more, ['FreeBSD 6.2-RELEASE', 'OpenBSD 4.6'])).toHaveLength(more.length);
    expect(() => withExtras(base, ['FreeBSD 6.2-RELEAS'])).toThrow(
      /no fingerprint named "FreeBSD 6.2-RELEAS".*closest names: .*"FreeBSD 6.2-RELEASE"/,
    );
  });
});
