/**
 * Learning a p0f database from labelled rows (no p0f needed here; the
 * cross-check against p0f itself is p0f-db-learn-vs-p0f.test.ts): which
 * fields become `*`, which label a signature gets or why it is left out, the
 * file order p0f needs, and the file itself.
 */
import { describe, expect, it } from 'vitest';
import type { EvaluationRow } from '@osfp/dataset';
import { syntheticRows } from '@osfp/dataset/testing';
import {
  coveringSignature,
  formatLabel,
  formatSignature,
  learnP0fDatabase,
  learnedDatabaseBaseline,
  parseObservedSignature,
  parseP0fDatabase,
  renderP0fDatabase,
  requireSignatures,
  type DatabaseCitation,
  type LabelledSynAck,
  type LearnedDatabase,
} from '../src/index.ts';

const OPTIONS = { minSupport: 3, minPurity: 0.8 };

/** `n` rows of one SYN-ACK (`ttl+dist` written by p0f's rule) labelled `label`. */
function rows(n: number, label: string, sig: string, window: number): LabelledSynAck[] {
  return Array.from({ length: n }, () => ({ p0f_sig: sig, tcp_window: window, label, label_status: 'ok' as const }));
}

const written = (db: LearnedDatabase) =>
  db.signatures.map((s) => `${formatLabel(s.label)} ${formatSignature(s.fields)}`);

describe('generalisation: a field becomes * where it does not separate classes', () => {
  it('drops MSS, window scale and payload class across MSS noise and hop counts, and keeps the window that tells two Linux apart', () => {
    const db = learnP0fDatabase(
      [
        ...rows(20, 'Linux 3.X', '4:57+7:0:1460:mss*10,7:mss,sok,ts,nop,ws:df:0', 14600),
        ...rows(15, 'Linux 3.X', '4:52+12:0:1400:mss*10,7:mss,sok,ts,nop,ws:df:0', 14000),
        ...rows(30, 'Linux 4.X', '4:60+4:0:1460:mss*44,7:mss,sok,ts,nop,ws:df:0', 64240),
        ...rows(10, 'Linux 4.X', '4:61+3:0:1380:mss*44,6:mss,sok,ts,nop,ws:df:0', 60720),
      ],
      OPTIONS,
      'test rows',
    );
    expect(written(db)).toEqual([
      's:unix:Linux:4.X 4:64:0:*:mss*44,*:mss,sok,ts,nop,ws:df:*',
      's:unix:Linux:3.X 4:64:0:*:mss*10,*:mss,sok,ts,nop,ws:df:*',
    ]);
    expect(db.leftOut).toEqual([]);
    expect(db.rows).toEqual({ learned: 75, unreadable: 0, matched: 75, agreeing: 75 });
  });

  it('keeps a field where it separates classes (MSS here)', () => {
    const db = learnP0fDatabase(
      [
        ...rows(20, 'embedded', '4:250+5:0:536:mss*4,0:mss::0', 2144),
        ...rows(20, 'Linux (Other)', '4:250+5:0:1460:mss*4,0:mss::0', 5840),
        // A row Nmap named otherwise, on the same SYN-ACK: the signature keeps its class at 20 rows in 21.
        ...rows(1, 'Linux 2.6.X', '4:250+5:0:1460:mss*4,0:mss::0', 5840),
      ],
      OPTIONS,
      'test rows',
    );
    expect(written(db)).toEqual([
      's:unix:Linux:(Other) 4:255:0:1460:*,*:mss::*',
      's:other:embedded: 4:255:0:536:*,*:mss::*',
    ]);
    expect(db.signatures[0]?.evidence.rows).toBe(21);
    expect(db.signatures[0]?.majority.purity).toBeCloseTo(20 / 21, 10);
  });

  it('does not let a few rows with another label keep a field apart, but a well-supported signature does', () => {
    const linux = rows(20, 'Linux 3.X', '4:64+0:0:1460:mss*10,7:mss,sok,ts,nop,ws:df:0', 14600);
    const odd = (n: number) => rows(n, 'embedded', '4:64+0:0:1400:mss*10,7:mss,sok,ts,nop,ws:df:0', 14000);
    expect(written(learnP0fDatabase([...linux, ...odd(2)], OPTIONS, 'x'))).toEqual([
      's:unix:Linux:3.X 4:64:0:*:*,*:mss,sok,ts,nop,ws:df:*',
    ]);
    expect(written(learnP0fDatabase([...linux, ...odd(3)], OPTIONS, 'x'))).toEqual([
      's:unix:Linux:3.X 4:64:0:1460:*,*:mss,sok,ts,nop,ws:df:*',
      's:other:embedded: 4:64:0:1400:*,*:mss,sok,ts,nop,ws:df:*',
    ]);
  });

  it('learns one signature per personality from the synthetic rows, whatever their hops and MSS', () => {
    const db = learnP0fDatabase(syntheticRows({ perClass: 40, labelNoise: 0.05 }), OPTIONS, 'synthetic');
    expect(new Set(written(db))).toEqual(
      new Set([
        's:unix:Linux:3.X 4:64:0:*:*,*:mss,sok,ts,nop,ws:df:*',
        's:win:Windows:2016 4:128:0:*:*,*:mss,nop,ws,sok,ts:df,id+:*',
        's:unix:FreeBSD:11.X 4:64:0:*:*,*:mss,nop,ws,sok,ts:df,id+:*',
        's:other:embedded: 4:255:0:*:*,*:mss::*',
      ]),
    );
  });
});

describe('labels: the class its rows carry, the family, or left out', () => {
  const mixed = [
    ...rows(12, 'Linux 3.X', '4:64+0:0:1460:mss*20,6:mss,sok,ts,nop,ws:df:0', 29200),
    ...rows(8, 'Linux 4.X', '4:64+0:0:1460:mss*20,6:mss,sok,ts,nop,ws:df:0', 29200),
    ...rows(6, 'Windows 2016', '4:128+0:0:1460:8192,8:mss,nop,ws,sok,ts:df,id+:0', 8192),
    ...rows(6, 'FreeBSD 11.X', '4:128+0:0:1460:8192,8:mss,nop,ws,sok,ts:df,id+:0', 8192),
    ...rows(2, 'OpenBSD 6.X', '4:64+0:0:1460:16384,3:mss,nop,nop,sok,nop,ws,nop,nop,ts:df,id+:0', 16384),
  ];
  const db = learnP0fDatabase(mixed, OPTIONS, 'test rows');

  it('names only the family when the classes are mixed within it (generic, so a specific match wins)', () => {
    expect(written(db)).toEqual(['g:unix:Linux: 4:64:0:*:*,*:mss,sok,ts,nop,ws:df:*']);
    expect(db.signatures[0]?.cls).toBeNull();
    expect(db.signatures[0]?.family).toBe('linux');
  });

  it('leaves out signatures whose rows disagree even on the family, and those with too few rows', () => {
    // Rows that name nothing clear are not generalised either: the signature stays as observed.
    expect(db.leftOut.map((s) => [s.evidence.text, s.reason, s.evidence.rows])).toEqual([
      ['4:128:0:1460:8192,8:mss,nop,ws,sok,ts:df,id+:0', 'disagreement', 12],
      ['4:64:0:*:*,*:mss,nop,nop,sok,nop,ws,nop,nop,ts:df,id+:*', 'support', 2],
    ]);
  });

  it('keeps the mixed signature as a class when the purity asked for is lower', () => {
    const loose = learnP0fDatabase(mixed, { minSupport: 2, minPurity: 0.5 }, 'test rows');
    expect(written(loose)).toEqual([
      's:unix:Linux:3.X 4:64:0:*:*,*:mss,sok,ts,nop,ws:df:*',
      's:unix:OpenBSD:6.X 4:64:0:*:*,*:mss,nop,nop,sok,nop,ws,nop,nop,ts:df,id+:*',
      // A tie goes to the first class in code-point order.
      's:unix:FreeBSD:11.X 4:128:0:*:*,*:mss,nop,ws,sok,ts:df,id+:*',
    ]);
  });

  it('refuses bad options and rows without labels, naming them', () => {
    expect(() => learnP0fDatabase(mixed, { minSupport: 0, minPurity: 0.8 }, 'x')).toThrow(/--min-support .* got 0/);
    expect(() => learnP0fDatabase(mixed, { minSupport: 3, minPurity: 1.5 }, 'x')).toThrow(/--min-purity .* got 1\.5/);
    expect(() => learnP0fDatabase(mixed, { minSupport: 3, minPurity: 0 }, 'x')).toThrow(/--min-purity/);
    const unlabelled = mixed.map((r) => ({ ...r, label: null, label_status: 'skipped' as const }));
    expect(() => learnP0fDatabase(unlabelled, OPTIONS, 'web@2')).toThrow(/web@2 has no labelled row/);
    const nothing = learnP0fDatabase(mixed, { minSupport: 100, minPurity: 0.8 }, 'web@2');
    expect(nothing.signatures).toEqual([]);
    expect(() => requireSignatures(nothing, 'web@2')).toThrow(/no signature of web@2 has --min-support 100 rows/);
  });

  it('skips rows whose signature cannot be read, and counts them', () => {
    const db2 = learnP0fDatabase([...mixed, ...rows(3, 'Linux 3.X', 'garbage', 0)], OPTIONS, 'x');
    expect(db2.rows.unreadable).toBe(3);
    expect(db2.rows.learned).toBe(mixed.length);
  });
});

describe('file order: what p0f loads, and what it answers', () => {
  it('moves a signature before the one that would take its SYN-ACKs (TTL 30 is in reach of a 64 signature)', () => {
    // At 64 the window separates two classes, so those keep it; the TTL-32 signature is fully generalised,
    // and specificity alone would put it after them, where its rows (TTL 30, window 2000) would land on Linux 4.X.
    const db = learnP0fDatabase(
      [
        ...rows(10, 'Linux 4.X', '4:60+4:0:500:mss*4,0:mss::0', 2000),
        ...rows(10, 'Linux 3.X', '4:60+4:0:500:mss*6,0:mss::0', 3000),
        ...rows(10, 'embedded', '4:30+2:0:500:mss*4,0:mss::0', 2000),
      ],
      OPTIONS,
      'test rows',
    );
    expect(written(db)).toEqual([
      's:other:embedded: 4:32:0:*:*,*:mss::*',
      's:unix:Linux:4.X 4:64:0:*:mss*4,*:mss::*',
      's:unix:Linux:3.X 4:64:0:*:mss*6,*:mss::*',
    ]);
    expect(db.rows.agreeing).toBe(30);
    // No signature is covered by an earlier one: p0f loads the file.
    db.database.forEach((sig, i) => expect(coveringSignature(db.database.slice(0, i), sig)).toBeNull());
  });

  it('judges rows with the classes it learned: a class label agrees with its class, a family label with none', () => {
    const db = learnP0fDatabase(
      [
        ...rows(10, 'Linux 4.X', '4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df:0', 64240),
        ...rows(6, 'Linux 3.X', '4:64+0:0:1460:mss*10,7:mss,sok,ts,nop,ws:df:0', 14600),
        ...rows(5, 'Linux 4.X', '4:64+0:0:1460:mss*10,7:mss,sok,ts,nop,ws:df:0', 14600),
      ],
      OPTIONS,
      'test rows',
    );
    const baseline = learnedDatabaseBaseline(db, 'test');
    const judge = (p0f_sig: string, tcp_window: number) => baseline.judge({ p0f_sig, tcp_window });
    expect(judge('4:50+14:0:1400:mss*44,7:mss,sok,ts,nop,ws:df:0', 61600)).toEqual({
      kind: 'match',
      label: 'Linux 4.X',
      quality: 'exact',
      classes: ['Linux 4.X'],
      family: 'linux',
    });
    expect(judge('4:64+0:0:1460:mss*10,7:mss,sok,ts,nop,ws:df:0', 14600)).toEqual({
      kind: 'match',
      label: 'Linux',
      quality: 'generic',
      classes: [],
      family: 'linux',
    });
    expect(judge('4:128+0:0:1460:8192,8:mss,nop,ws,sok,ts:df,id+:0', 8192)).toEqual({ kind: 'none' });
    expect(judge('nonsense', 1).kind).toBe('unreadable');
  });
});

describe('the file', () => {
  const citation: DatabaseCitation = {
    dataset: 'web',
    version: 3,
    contentSha256: 'c'.repeat(64),
    dataSha256: 'd'.repeat(64),
    taxonomyVersion: 'osfp-taxonomy-1',
    nmapVersion: '7.93',
    nmapOsDbSha256: 'e'.repeat(64),
    versionRows: 400,
    rowsUsed: 'all labelled rows',
    toolVersion: '0.1.0',
    command: 'osfp dataset p0f-db web@3 --split all --min-support 3 --min-purity 0.8',
  };
  const rowsOf: EvaluationRow[] = syntheticRows({ perClass: [50, 30, 20, 10], labelNoise: 0.04 });
  const db = learnP0fDatabase(rowsOf, OPTIONS, 'synthetic');
  const text = renderP0fDatabase(db, citation);

  it('cites the version it was learned from and how it was made, in comments p0f skips', () => {
    const header = text.slice(0, text.indexOf('classes ='));
    expect(header.split('\n').every((line) => line === '' || line.startsWith(';'))).toBe(true);
    expect(header).toContain('; dataset       web@3');
    expect(header).toContain(`; content       sha256 ${'c'.repeat(64)}`);
    expect(header).toContain(`; data file     data.parquet sha256 ${'d'.repeat(64)}`);
    expect(header).toContain('; taxonomy      osfp-taxonomy-1');
    expect(header).toContain(`nmap-os-db sha256 ${'e'.repeat(64)}`);
    expect(header).toContain(citation.command);
    expect(header).toMatch(/- label: the class of at least 0\.8 of a signature's rows \(s:\)/);
    expect(text).toMatch(/\nclasses = win,unix,other\n\n\[tcp:response\]\n/);
  });

  it('reads back as what was learned, each signature with its support and purity', () => {
    const parsed = parseP0fDatabase(text, 'generated').tcpResponse;
    expect(parsed.map((s) => `${formatLabel(s.label)} ${formatSignature(s)}`)).toEqual(written(db));
    for (const s of parsed) {
      const comment = text.split('\n')[s.line - 3] ?? '';
      expect(comment).toMatch(/^; \d+ rows, (class|family) purity \d+\.\d %: /);
    }
    expect(text).toMatch(/; 50 rows, class purity \d+\.\d %: Linux 3\.X \d+/);
  });

  it('is the same file for the same rows in another order', () => {
    const again = renderP0fDatabase(learnP0fDatabase([...rowsOf].reverse(), OPTIONS, 'synthetic'), citation);
    expect(again).toBe(text);
  });

  it('keeps what comes from the data on its line', () => {
    const odd = learnP0fDatabase(
      rows(5, 'Weird\nOS 1.X\tbeta', '4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df:0', 64240),
      OPTIONS,
      'x',
    );
    const oddText = renderP0fDatabase(odd, citation);
    expect(parseP0fDatabase(oddText, 'odd').tcpResponse).toHaveLength(1);
    expect(oddText).toContain('label = s:other:Weird_OS:1.X beta');
  });
});

describe('parseObservedSignature round trip', () => {
  it('writes an observed SYN-ACK as the database signature that matches it exactly', () => {
    const observed = parseObservedSignature('4:113+15:0:1460:8192,8:mss,nop,ws,sok,ts:df,id+:0');
    const db = learnP0fDatabase(
      rows(3, 'Windows 2016', '4:113+15:0:1460:8192,8:mss,nop,ws,sok,ts:df,id+:0', 8192),
      { minSupport: 1, minPurity: 1 },
      'x',
    );
    expect(db.signatures[0]?.fields.ittl).toBe(128);
    expect(db.signatures[0]?.fields.quirks).toEqual(observed.quirks);
  });
});
