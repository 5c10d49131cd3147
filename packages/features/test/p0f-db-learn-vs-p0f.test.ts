/**
 * A learned database is for p0f 3.09b itself, so p0f itself is the judge:
 *
 * - the load-time duplicate rule (load-check.ts) refuses exactly the files p0f
 *   refuses, and names the same line;
 * - a database learned from the features' SYN-ACK fixture (every p0f.fp
 *   response signature, quirk and TTL corner, each labelled with what p0f's
 *   own database calls it) loads without a warning, and p0f says about every
 *   SYN-ACK of the fixture what our matcher says with the same database.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '@osfp/test-support';
import { SYNACKS_PCAP, runP0f } from '../testing/index.ts';
import {
  coveringSignature,
  featuresFromCapture,
  findMatch,
  layoutMatcher,
  learnP0fDatabase,
  learnedDatabaseBaseline,
  loadP0fDatabase,
  matchSynAck,
  parseObservedSignature,
  parseP0fDatabase,
  renderP0fDatabase,
  type LabelledSynAck,
} from '../src/index.ts';

const HEADER = 'classes = win,unix,other\n\n[tcp:response]\n\n';

describe.skipIf(needs('p0f'))('learned p0f databases in p0f 3.09b', { timeout: 60_000 }, () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'osfp-p0f-learn-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // Pairs of signatures: does p0f load the second after the first (as s: and as g:), and do we say the same?
  // Line 6 holds the first signature, line 8 the second.
  it.each([
    [
      'exact MSS after *',
      true,
      '4:64:0:*:mss*10,*:mss,sok,ts,nop,ws:df:*',
      '4:64:0:1460:mss*10,7:mss,sok,ts,nop,ws:df:0',
    ],
    [
      '* after exact MSS',
      false,
      '4:64:0:1460:mss*10,7:mss,sok,ts,nop,ws:df:0',
      '4:64:0:*:mss*10,7:mss,sok,ts,nop,ws:df:0',
    ],
    [
      'plain window that is mss*44',
      true,
      '4:64:0:1460:mss*44,7:mss,nop,nop,sok,nop,ws:df:0',
      '4:64:0:1460:64240,7:mss,nop,nop,sok,nop,ws:df:0',
    ],
    [
      'plain window that is not',
      false,
      '4:64:0:1460:mss*44,7:mss,nop,nop,sok,nop,ws:df:0',
      '4:64:0:1460:64000,7:mss,nop,nop,sok,nop,ws:df:0',
    ],
    [
      'multiple of %N',
      true,
      '4:128:0:*:%8192,8:mss,nop,ws,sok,ts:df,id+:0',
      '4:128:0:1460:16384,8:mss,nop,ws,sok,ts:df,id+:0',
    ],
    [
      'mss*N after * window',
      false,
      '4:128:0:*:*,8:mss,nop,ws,sok,ts:df,id+:0',
      '4:128:0:*:mss*4,8:mss,nop,ws,sok,ts:df,id+:0',
    ],
    [
      '* window after * window',
      true,
      '4:128:0:*:*,*:mss,nop,ws,sok,ts:df,id+:*',
      '4:128:0:*:*,8:mss,nop,ws,sok,ts:df,id+:*',
    ],
    [
      '* payload after 0',
      false,
      '4:128:0:*:*,8:mss,nop,ws,sok,ts:df,id+:0',
      '4:128:0:*:*,8:mss,nop,ws,sok,ts:df,id+:*',
    ],
    ['TTL 32 after 64', true, '4:64:0:*:*,*:mss:df:*', '4:32:0:*:*,*:mss:df:*'],
    ['TTL 64 after 32', false, '4:32:0:*:*,*:mss:df:*', '4:64:0:*:*,*:mss:df:*'],
    ['TTL 128 after 255', false, '4:255:0:*:*,*:mss:df:*', '4:128:0:*:*,*:mss:df:*'],
    ['other quirks', false, '4:64:0:*:*,*:mss:df,id+:*', '4:64:0:*:*,*:mss:df:*'],
    ['other option layout', false, '4:64:0:*:*,*:mss,eol+1:df:*', '4:64:0:*:*,*:mss:df:*'],
  ])('load rule: %s (refused: %s)', (_name, covered, first, second) => {
    for (const generic of [false, true]) {
      const file = join(dir, `pair-${generic}.fp`);
      const text = `${HEADER}label = ${generic ? 'g' : 's'}:unix:First:\nsig = ${first}\nlabel = s:unix:Second:\nsig = ${second}\n`;
      writeFileSync(file, text);
      const p0f = runP0f(file, SYNACKS_PCAP, dir);
      const refused = /Signature in line 8 is already covered by line 6/.test(p0f.output);
      // p0f never holds a generic signature against a later one.
      expect({ generic, refused }).toEqual({ generic, refused: covered && !generic });
      const [a, b] = parseP0fDatabase(text, file).tcpResponse;
      expect(coveringSignature([a!], b!) !== null).toBe(refused);
      if (!refused) expect(p0f.complaints).toEqual([]);
    }
  });

  it("learns a database from the fixture's SYN-ACKs that p0f loads without a warning and reads as we do", async () => {
    // Each SYN-ACK labelled with what p0f's own database calls it: many classes, every signature shape.
    const stock = await loadP0fDatabase();
    const rows: (LabelledSynAck & { port: number })[] = [];
    for await (const r of featuresFromCapture(SYNACKS_PCAP)) {
      if (!r.syn) continue;
      const f = r.features;
      const match = matchSynAck(stock, { signature: parseObservedSignature(f.p0f_sig), window: f.tcp_window });
      rows.push({
        p0f_sig: f.p0f_sig,
        tcp_window: f.tcp_window,
        label: match?.signature.label.text ?? null,
        label_status: match ? 'ok' : 'no-match',
        port: r.dst_port,
      });
    }
    const db = learnP0fDatabase(rows, { minSupport: 1, minPurity: 0.6 }, 'fixture');
    expect(db.signatures.length).toBeGreaterThan(40);
    const file = join(dir, 'learned.fp');
    writeFileSync(
      file,
      renderP0fDatabase(db, {
        dataset: 'fixture',
        version: 1,
        contentSha256: '0'.repeat(64),
        dataSha256: null,
        taxonomyVersion: null,
        nmapVersion: null,
        nmapOsDbSha256: null,
        versionRows: rows.length,
        rowsUsed: 'every SYN-ACK of synacks.pcap',
        toolVersion: 'test',
        command: 'test',
      }),
    );

    const p0f = runP0f(file, SYNACKS_PCAP, dir);
    expect(p0f.complaints).toEqual([]);
    expect(p0f.output).toContain(`[+] Loaded ${db.signatures.length} signatures from '${file}'.`);
    expect(p0f.synAcks.length).toBeGreaterThan(400);

    const baseline = learnedDatabaseBaseline(db, file);
    const byPort = new Map(rows.map((r) => [r.port, r]));
    const said = (os: string | null, quality: string) => (os === null ? 'no match' : `${os} (${quality})`);
    let own = 0;
    for (const verdict of p0f.synAcks) {
      const row = byPort.get(verdict.clientPort);
      expect(row, `SYN-ACK to port ${verdict.clientPort}`).toBeDefined();
      const ours = baseline.judge(row!);
      expect(said(verdict.os, verdict.quality), `${row!.p0f_sig}`).toBe(
        ours.kind === 'match' ? said(ours.label, ours.quality) : 'no match',
      );
      if (row!.label !== null && verdict.os === row!.label) own++;
    }
    // Learned from these very rows: p0f gives nearly every labelled one its own label back.
    const labelled = p0f.synAcks.filter((v) => byPort.get(v.clientPort)?.label).length;
    expect(own / labelled).toBeGreaterThan(0.9);

    // The indexed matcher the baselines use answers exactly as the plain one, on both databases.
    for (const signatures of [db.database, stock.tcpResponse]) {
      const indexed = layoutMatcher(signatures);
      for (const row of rows) {
        const observed = { signature: parseObservedSignature(row.p0f_sig), window: row.tcp_window };
        expect(indexed(observed), row.p0f_sig).toEqual(findMatch(signatures, observed));
      }
    }
  });
});
