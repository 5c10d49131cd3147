import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { LABEL_COLUMNS } from '@osfp/dataset';
import { TargetIndex } from '../src/coordinator/target-index.ts';
import { addressToNumber } from '../src/targets/address.ts';

/** A labels file as the store's writeLatestLabels writes it: ip, then the label columns. */
async function writeLabels(path: string, labels: readonly { ip: string; label: string }[]): Promise<void> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const values = labels
      .map(
        ({ ip, label }) =>
          `('${ip}', ${LABEL_COLUMNS.map((c) =>
            c.name === 'label'
              ? `'${label}'`
              : c.name === 'label_status'
                ? `'ok'`
                : c.name === 'label_acc'
                  ? '96'
                  : `NULL::${c.type}`,
          ).join(', ')})`,
      )
      .join(', ');
    await conn.run(
      `COPY (SELECT * FROM (VALUES ${values}) t(ip, ${LABEL_COLUMNS.map((c) => c.name).join(', ')})) TO '${path}' (FORMAT parquet)`,
    );
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe('target index', () => {
  it('gives each host of a batch the reusable label imported for it, once per run, kept across a reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'osfp-index-'));
    try {
      const index = await TargetIndex.open(join(dir, 'index.duckdb'));
      for (const ip of ['198.18.1.1', '198.18.1.2', '198.18.1.10', '198.18.2.1', '2001:db8::5']) {
        await index.add(addressToNumber(ip), `${ip}.test`);
      }
      expect(await index.seal(2)).toEqual({ hosts: 5, batches: 3 });
      expect(await index.hasReusableLabels()).toBe(false);
      expect((await index.batch(0)).map((h) => h.reusableLabel)).toEqual([null, null]);

      const file = join(dir, 'labels.parquet');
      // 10.0.0.1 and 2001:db8::6 are not hosts of this run; 'not-an-ip' and 'zz::zz' cannot be one.
      await writeLabels(file, [
        { ip: '198.18.1.2', label: 'Linux 5.X' },
        { ip: '198.18.2.1', label: 'Windows 2016' },
        { ip: '10.0.0.1', label: 'FreeBSD 13.X' },
        { ip: 'not-an-ip', label: 'embedded' },
        { ip: '2001:db8::5', label: 'macOS 13.X' },
        { ip: '2001:db8::6', label: 'Solaris 11' },
        { ip: 'zz::zz', label: 'embedded' },
      ]);
      expect(await index.importReusableLabels(file)).toBe(3);
      const hosts = [...(await index.batch(0)), ...(await index.batch(1)), ...(await index.batch(2))];
      expect(hosts.map((h) => [h.ip, h.domains, h.reusableLabel?.label ?? null])).toEqual([
        ['198.18.1.1', ['198.18.1.1.test'], null],
        ['198.18.1.2', ['198.18.1.2.test'], 'Linux 5.X'],
        ['198.18.1.10', ['198.18.1.10.test'], null],
        ['198.18.2.1', ['198.18.2.1.test'], 'Windows 2016'],
        ['2001:db8::5', ['2001:db8::5.test'], 'macOS 13.X'],
      ]);
      expect(hosts[1]?.reusableLabel).toMatchObject({ label_acc: 96, label_status: 'ok', nmap_guesses: null });
      index.close();

      // A resumed run keeps the labels it started with.
      await writeLabels(file, [{ ip: '198.18.1.1', label: 'OpenBSD 7.X' }]);
      const reopened = await TargetIndex.open(join(dir, 'index.duckdb'));
      expect(await reopened.hasReusableLabels()).toBe(true);
      expect(await reopened.importReusableLabels(file)).toBe(3);
      expect((await reopened.batch(0)).map((h) => h.reusableLabel?.label ?? null)).toEqual([null, 'Linux 5.X']);
      reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
