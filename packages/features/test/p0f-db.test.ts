import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { familyOfClass } from '@osfp/dataset';
import {
  DEFAULT_P0F_DB_PATH,
  loadP0fDatabase,
  mapP0fLabel,
  matchSynAck,
  p0fBaseline,
  parseObservedSignature,
  parseP0fDatabase,
  type P0fDatabase,
  type P0fTcpSignature,
} from '../src/index.ts';
import { needs } from '@osfp/test-support';

const match = (db: P0fDatabase, sig: string, window?: number) =>
  matchSynAck(
    db,
    window === undefined
      ? { signature: parseObservedSignature(sig) }
      : { signature: parseObservedSignature(sig), window },
  );

describe.skipIf(needs('p0f') || !existsSync(DEFAULT_P0F_DB_PATH))(
  'the p0f database installed on this machine',
  async () => {
    const db = await loadP0fDatabase();

    it("reads every [tcp:response] signature of Debian's p0f.fp", () => {
      expect(db.source).toBe(DEFAULT_P0F_DB_PATH);
      expect(db.tcpResponse.length).toBeGreaterThan(90);
      expect(db.tcpRequest.length).toBeGreaterThan(50);
      expect(new Set(db.tcpResponse.map((s) => s.label.text))).toEqual(
        new Set([
          'Linux 3.x',
          'Linux 2.4-2.6',
          'Linux 2.4.x',
          'Linux 2.6.x',
          'Windows XP',
          'Windows 7 or 8',
          'FreeBSD 9.x',
          'FreeBSD 8.x',
          'FreeBSD 8.x-9.x',
          'OpenBSD 5.x',
          'Mac OS X 10.x',
          'Solaris 6',
          'Solaris 8',
          'Solaris 10',
          'HP-UX 11.x',
          'OpenVMS 7.x',
          'Tru64 4.x',
        ]),
      );
    });

    it.each([
      ['4:57+7:0:1460:mss*10,7:mss,sok,ts,nop,ws:df:0', 'Linux 3.x', 'exact', 7],
      ['4:52+12:0:1460:mss*4,7:mss,sok,ts,nop,ws:df:0', 'Linux 2.6.x', 'exact', 12],
      ['4:113+15:0:1460:8192,8:mss,nop,ws,sok,ts:df,id+:0', 'Windows 7 or 8', 'exact', 15],
      ['4:128+0:0:1460:65535,0:mss,nop,nop,sok:df,id+:0', 'Windows XP', 'exact', 0],
      ['4:50+14:0:1460:65535,6:mss,nop,ws,sok,ts:df,id+:0', 'FreeBSD 9.x', 'exact', 14],
      ['4:60+4:0:1460:16384,3:mss,nop,ws:df,id+:0', 'OpenBSD 5.x', 'exact', 4],
      ['4:64+0:0:1460:65535,0:mss,nop,ws:df,id+:0', 'Mac OS X 10.x', 'exact', 0],
      ['4:250+5:0:1460:mss*7,0:nop,ws,mss:df,id+:0', 'Solaris 6', 'exact', 5],
      // 'df' disappearing, 'ecn' appearing: fuzzy, as in p0f.
      ['4:57+7:0:1460:mss*10,7:mss,sok,ts,nop,ws::0', 'Linux 3.x', 'fuzzy', 7],
      ['4:57+7:0:1460:mss*10,7:mss,sok,ts,nop,ws:df,ecn:0', 'Linux 3.x', 'fuzzy', 7],
      // Farther than MAX_DIST (35) from the signature's initial TTL: fuzzy, distance guessed.
      ['4:20+12:0:1460:mss*10,7:mss,sok,ts,nop,ws:df:0', 'Linux 3.x', 'fuzzy', 12],
    ] as const)('%s is %s (%s)', (sig, label, quality, distance) => {
      const m = match(db, sig);
      expect(m?.signature.label.text).toBe(label);
      expect(m?.quality).toBe(quality);
      expect(m?.distance).toBe(distance);
    });

    it.each([
      // Modern Linux (window 64 KiB in 1448-byte segments): p0f 3.09b's database predates it.
      '4:57+7:0:1460:mss*45,7:mss,sok,ts,nop,ws:df:0',
      // 'id+' appearing is not a fuzzy difference.
      '4:57+7:0:1460:mss*10,7:mss,sok,ts,nop,ws:df,id+:0',
      // A layout nothing in the database has.
      '4:64+0:0:1460:mss*10,7:mss,ts,sok,nop,ws:df:0',
      // Option layout and quirks right, window scale wrong.
      '4:50+14:0:1460:65535,5:mss,nop,ws,sok,ts:df,id+:0',
    ])('%s matches nothing', (sig) => {
      expect(match(db, sig)).toBeNull();
    });

    it('recognises every one of its own response signatures, instantiated, as itself or an earlier twin', () => {
      const shadowed: string[] = [];
      for (const ref of db.tcpResponse) {
        const m = match(db, ...instantiate(ref));
        expect(m?.quality, `line ${ref.line}`).toBe('exact');
        // p0f keeps the first signature in file order that fits, as this does.
        expect(m?.signature.line, `line ${ref.line}`).toBeLessThanOrEqual(ref.line);
        if (m?.signature.label.text !== ref.label.text)
          shadowed.push(`${ref.line}: ${ref.label.text} -> ${m?.signature.label.text}`);
      }
      // Debian's p0f.fp lists two signatures ("65535,0:mss,sok,eol+1" and "65535,0:mss,nop,nop,ts", both
      // df,id+) under FreeBSD 8.x-9.x and again, later, under Mac OS X: p0f itself can only answer FreeBSD.
      expect(shadowed).toEqual(['465: Mac OS X 10.x -> FreeBSD 8.x-9.x', '466: Mac OS X 10.x -> FreeBSD 8.x-9.x']);
    });

    it("judges rows for the evaluator in the taxonomy's classes", () => {
      const baseline = p0fBaseline(db);
      expect(
        baseline.judge({ p0f_sig: '4:113+15:0:1460:8192,8:mss,nop,ws,sok,ts:df,id+:0', tcp_window: 8192 }),
      ).toEqual({
        kind: 'match',
        label: 'Windows 7 or 8',
        quality: 'exact',
        classes: ['Windows 7', 'Windows 8', 'Windows 2008', 'Windows 2012'],
        family: 'windows',
      });
      expect(baseline.judge({ p0f_sig: '4:57+7:0:1460:mss*45,7:mss,sok,ts,nop,ws:df:0', tcp_window: 65160 })).toEqual({
        kind: 'none',
      });
      expect(baseline.judge({ p0f_sig: 'not a signature', tcp_window: 0 }).kind).toBe('unreadable');
    });
  },
);

describe('p0f matching rules (a database written for the test)', () => {
  const db = parseP0fDatabase(
    `
classes = win,unix,other
[mtu]
label = Ethernet
sig   = 1500
[tcp:response]
label = g:unix:Generic:any
sig   = *:64:0:*:*,*:mss,nop,ws:df:0
label = s:unix:Mod:8k
sig   = *:64:0:*:%8192,*:mss,nop,ws:df:0
label = s:unix:Mtu:x4
sig   = 4:64:0:*:mtu*4,*:mss:df:0
label = s:other:Random:ttl
sig   = *:128-:0:*:1024,0:mss,sok:df:0
label = s:!:Tool:scanner
sig   = *:64:0:1331:1337,0:mss,sok,ts::0
`,
    'test.fp',
  );

  it('prefers a specific signature to a generic one, and uses the generic one otherwise', () => {
    expect(match(db, '4:60+4:0:1460:16384,2:mss,nop,ws:df:0', 16384)?.signature.label.text).toBe('Mod 8k');
    const generic = match(db, '4:60+4:0:1460:12000,2:mss,nop,ws:df:0', 12000);
    expect(generic?.signature.label.text).toBe('Generic any');
    expect(generic?.quality).toBe('generic');
  });

  it('matches mtu*N windows, and rebuilds the raw window from MSS when it is not given', () => {
    expect(match(db, '4:60+4:0:1460:mtu*4,0:mss:df:0')?.signature.label.text).toBe('Mtu x4');
    expect(match(db, '4:60+4:0:1460:mss*4,0:mss:df:0')).toBeNull();
  });

  it('bounds a random-TTL (ttl-) signature only from above', () => {
    expect(match(db, '4:40+24:0:1460:1024,0:mss,sok:df:0')?.quality).toBe('exact');
    expect(match(db, '4:200+55:0:1460:1024,0:mss,sok:df:0')).toBeNull();
  });

  it('never reports a fuzzy match for a userland tool', () => {
    expect(match(db, '4:64+0:0:1331:1337,0:mss,sok,ts::0')?.signature.label.text).toBe('Tool scanner');
    expect(match(db, '4:64+0:0:1331:1337,0:mss,sok,ts:ecn:0')).toBeNull();
  });

  it('names the file and line of a malformed database', () => {
    expect(() =>
      parseP0fDatabase('[tcp:response]\nlabel = s:unix:X:1\nsig = 4:64:0:*:mss*10,0:mss,bogus:df:0\n', 'bad.fp'),
    ).toThrow(/bad\.fp:3: unrecognised TCP option "bogus"/);
    expect(() => parseP0fDatabase('[tcp:response]\nsig = 4:64:0:*:1,0:mss:df:0\n', 'bad.fp')).toThrow(
      /bad\.fp:2: sig before any label/,
    );
    expect(() => parseP0fDatabase('just some text\n', 'foreign.txt')).toThrow(/foreign\.txt:1: expected "key = value"/);
    expect(() => parseP0fDatabase('; nothing\n', 'empty.fp')).toThrow(/not a p0f v3 database/);
  });

  it('explains a missing database and what to do', async () => {
    await expect(loadP0fDatabase('/nonexistent/p0f.fp')).rejects.toThrow(
      /cannot read the p0f database \/nonexistent\/p0f\.fp .*--p0f-db/,
    );
  });
});

describe("p0f labels in the taxonomy's classes", () => {
  const label = (text: string) => {
    const [name, ...rest] = text.split(' ');
    return { generic: false, osClass: 'unix', name: name ?? '', flavor: rest.join(' '), text };
  };

  it.each([
    ['Linux 3.x', ['Linux 3.X'], 'linux'],
    ['Linux 2.6.x', ['Linux 2.6.X'], 'linux'],
    ['Linux 2.4.x', ['Linux (Other)'], 'linux'],
    ['FreeBSD 9.x', ['FreeBSD 9.X'], 'freebsd'],
    ['OpenBSD 5.x', ['OpenBSD 5.X'], 'openbsd'],
    ['Solaris 10', ['Solaris 10'], 'solaris'],
  ])('%s -> %j', (text, classes, family) => {
    expect(mapP0fLabel(label(text))).toEqual({ classes, family });
  });

  it("maps Mac OS X to the labeler's macOS, at class and family level", () => {
    const mapped = mapP0fLabel({
      generic: false,
      osClass: 'unix',
      name: 'Mac OS X',
      flavor: '10.x',
      text: 'Mac OS X 10.x',
    });
    expect(mapped).toEqual({ classes: ['macOS 10.X'], family: 'macos' });
    expect(familyOfClass('macOS 10.X')).toBe('macos');
  });
});

/**
 * A concrete SYN-ACK signature (and its raw window) that a database signature
 * describes. A wildcard window scale becomes 7: 0 would be Linux 2.4, listed earlier.
 */
function instantiate(ref: P0fTcpSignature): [string, number] {
  const mss = ref.mss ?? 1460;
  const ttl = ref.ittl - 5;
  const w = ref.window;
  let term: string;
  let window: number;
  switch (w.kind) {
    case 'value':
      term = String(w.value);
      window = w.value;
      break;
    case 'mss':
      term = `mss*${w.value}`;
      window = mss * w.value;
      break;
    case 'mtu':
      term = `mtu*${w.value}`;
      window = (mss + 40) * w.value;
      break;
    case 'mod':
      term = String(w.value * 3);
      window = w.value * 3;
      break;
    case 'any':
      term = '12345';
      window = 12345;
      break;
  }
  const quirks = [...ref.quirks].filter((q) => q !== 'flow').join(',');
  return [
    `4:${ttl}+5:${ref.ipOptionLength}:${mss}:${term},${ref.windowScale ?? 7}:${ref.optionLayout}:${quirks}:${ref.payloadClass === 1 ? '+' : '0'}`,
    window,
  ];
}
