/**
 * Per-host behaviour: the concrete answers one host gives, drawn (seeded)
 * from its fingerprint's expressions, and the choice among several such
 * draws of those Nmap will not also find in another class's print.
 *
 * A fingerprint usually allows many values (`W1=FAF0|FFFF`, `T=3B-45`); a
 * real host has one. A responder draws a handful of *profiles* per
 * fingerprint once at start-up, scores each against the whole database the
 * way Nmap does (scoring.ts), keeps those whose own class wins clearly, and
 * maps every address to one of them by a hash, so a host answers the same way
 * every time and different hosts of one OS differ where the OS allows.
 */
import { hex, matchesExpression, parseExpression, sampleAlternative, sampleValue } from './expressions.ts';
import type { Fingerprint, OsDb, TestLine, TestName } from './os-db.ts';
import { hashSeed, seededRng, type Rng } from './random.ts';
import { accuracy, type ObservedPrint } from './scoring.ts';
import { fitIsnModel, parseIpIdValue, tsHzFor, type IpIdSpec, type IsnModel } from './sequences.ts';

export type TcpOption =
  | { kind: 'mss'; value: number }
  | { kind: 'ws'; value: number }
  | { kind: 'nop' }
  | { kind: 'eol' }
  | { kind: 'sack' }
  /** Timestamps: whether TSval / TSecr are nonzero (Nmap's T11, T10, ...). */
  | { kind: 'ts'; val: boolean; ecr: boolean };

export const TCP_FLAGS = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

export interface TcpAnswer {
  df: boolean;
  ttl: number;
  window: number;
  /** Nmap's S: sequence number relative to the probe. */
  seq: 'Z' | 'A' | 'A+' | 'O';
  /** Nmap's A: acknowledgement relative to the probe. */
  ack: 'Z' | 'S' | 'S+' | 'O';
  flags: number;
  options: TcpOption[];
  /** RST payload whose CRC32 is the fingerprint's RD, or null. */
  rstDataCrc: number | null;
  reservedBits: boolean;
  urgentPointer: boolean;
}

export interface U1Answer {
  df: boolean;
  ttl: number;
  ipl: number;
  unused: number;
  ripl: number | null;
  rid: number | null;
  ripck: 'G' | 'Z' | 'I';
  ruck: number | null;
  rudIntact: boolean;
}

export interface IeAnswer {
  dfi: 'Y' | 'S' | 'N' | 'O';
  ttl: number;
  cd: { kind: 'Z' | 'S' | 'O' } | { kind: 'value'; code: number };
}

export interface HostProfile {
  /** Answers to Nmap's SEQ probes 1..6 (T1's flags with O1..O6 / W1..W6); null: silence. */
  seq: (TcpAnswer | null)[];
  ecn: TcpAnswer | null;
  /** T2..T7 (index 0 is T2); null: silence. */
  t: (TcpAnswer | null)[];
  u1: U1Answer | null;
  ie: IeAnswer | null;
  /** SYN-ACK for an ordinary SYN with / without timestamps (see ordinarySyn). */
  synWithTs: TcpAnswer;
  synWithoutTs: TcpAnswer;
  isn: IsnModel;
  ipId: { tcp: IpIdSpec; closed: IpIdSpec; icmp: IpIdSpec; closedShared: boolean; icmpShared: boolean };
  /** TSval ticks per second; null: no timestamps; 0: TSval 0. */
  tsHz: number | null;
  /** What Nmap should record for this profile (for scoring and tests). */
  observed: ObservedPrint;
}

/** Parses an Nmap option string (`M5B4NW8ST11`) into options. */
export function parseOptionString(s: string): TcpOption[] | null {
  const out: TcpOption[] = [];
  const re = /M([0-9A-F]+)|W([0-9A-F]+)|T([01])([01])|(N)|(S)|(L)/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < s.length && (m = re.exec(s)) !== null) {
    at = re.lastIndex;
    if (m[1] !== undefined) out.push({ kind: 'mss', value: parseInt(m[1], 16) & 0xffff });
    else if (m[2] !== undefined) out.push({ kind: 'ws', value: parseInt(m[2], 16) & 0xff });
    else if (m[3] !== undefined) out.push({ kind: 'ts', val: m[3] === '1', ecr: m[4] === '1' });
    else if (m[5]) out.push({ kind: 'nop' });
    else if (m[6]) out.push({ kind: 'sack' });
    else out.push({ kind: 'eol' });
  }
  return at === s.length ? out : null;
}

export function optionString(options: readonly TcpOption[]): string {
  return options
    .map((o) => {
      switch (o.kind) {
        case 'mss':
          return `M${hex(o.value)}`;
        case 'ws':
          return `W${hex(o.value)}`;
        case 'ts':
          return `T${o.val ? 1 : 0}${o.ecr ? 1 : 0}`;
        case 'nop':
          return 'N';
        case 'sack':
          return 'S';
        case 'eol':
          return 'L';
      }
    })
    .join('');
}

function flagsFrom(text: string): number {
  let f = 0;
  for (const c of text) {
    if (c === 'E') f |= TCP_FLAGS.ECE;
    else if (c === 'U') f |= TCP_FLAGS.URG;
    else if (c === 'A') f |= TCP_FLAGS.ACK;
    else if (c === 'P') f |= TCP_FLAGS.PSH;
    else if (c === 'R') f |= TCP_FLAGS.RST;
    else if (c === 'S') f |= TCP_FLAGS.SYN;
    else if (c === 'F') f |= TCP_FLAGS.FIN;
  }
  return f;
}

export function flagString(flags: number): string {
  const order: [number, string][] = [
    [TCP_FLAGS.ECE, 'E'],
    [TCP_FLAGS.URG, 'U'],
    [TCP_FLAGS.ACK, 'A'],
    [TCP_FLAGS.PSH, 'P'],
    [TCP_FLAGS.RST, 'R'],
    [TCP_FLAGS.SYN, 'S'],
    [TCP_FLAGS.FIN, 'F'],
  ];
  return order
    .filter(([bit]) => flags & bit)
    .map(([, c]) => c)
    .join('');
}

/** Draws a value for `attr` of `line`, or `fallback` when the line does not state it. */
function draw(line: TestLine | undefined, attr: string, rng: Rng, fallback: string): string {
  const expr = line?.get(attr);
  return expr === undefined ? fallback : sampleValue(expr, rng);
}

/**
 * The TTL to send: Nmap adds (distance - 1) = 0 hops here (the responder is
 * the first hop and returns U1's quote untouched), so T must be the TTL
 * itself; the initial-TTL guess TG is preferred when T allows it.
 */
function drawTtl(line: TestLine | undefined, rng: Rng): number {
  const t = line?.get('T');
  const tg = line?.get('TG');
  const tgValue = tg !== undefined ? parseInt(tg.split('|')[0] ?? '40', 16) : 64;
  if (t === undefined) return Math.min(255, tgValue || 64);
  if (matchesExpression(hex(Math.min(255, tgValue)), t)) return Math.min(255, tgValue);
  const alts = parseExpression(t).filter((a) => a.kind !== 'empty');
  for (let i = 0; i < 8 && alts.length > 0; i++) {
    const v = parseInt(sampleAlternative(rng.pick(alts), rng), 16);
    if (v > 0 && v <= 255) return v;
  }
  return 64;
}

function responds(line: TestLine | undefined): boolean {
  if (!line) return false;
  const r = line.get('R');
  return r === undefined || r.split('|').includes('Y');
}

function tcpAnswer(
  line: TestLine,
  rng: Rng,
  opts: { window?: string; options?: string; defaultFlags: string },
): TcpAnswer {
  const oText = opts.options ?? draw(line, 'O', rng, '');
  const rd = draw(line, 'RD', rng, '0');
  const q = draw(line, 'Q', rng, '');
  return {
    df: draw(line, 'DF', rng, 'N') === 'Y',
    ttl: drawTtl(line, rng),
    window: parseInt(opts.window ?? draw(line, 'W', rng, '0'), 16) & 0xffff || 0,
    seq: draw(line, 'S', rng, 'O') as TcpAnswer['seq'],
    ack: draw(line, 'A', rng, 'S+') as TcpAnswer['ack'],
    flags: flagsFrom(draw(line, 'F', rng, opts.defaultFlags)),
    options: parseOptionString(oText) ?? [],
    rstDataCrc: rd === '0' || rd === '' ? null : parseInt(rd, 16) >>> 0,
    reservedBits: q.includes('R'),
    urgentPointer: q.includes('U'),
  };
}

function tcpObserved(a: TcpAnswer | null, withWindowAndOptions: boolean): Map<string, string> {
  if (!a) return new Map([['R', 'N']]);
  const m = new Map<string, string>([
    ['R', 'Y'],
    ['DF', a.df ? 'Y' : 'N'],
    ['T', hex(a.ttl)],
    ['TG', hex(a.ttl <= 32 ? 32 : a.ttl <= 64 ? 64 : a.ttl <= 128 ? 128 : 255)],
  ]);
  if (withWindowAndOptions) m.set('W', hex(a.window));
  m.set('S', a.seq);
  m.set('A', a.ack);
  m.set('F', flagString(a.flags));
  if (withWindowAndOptions) m.set('O', optionString(a.options));
  m.set('RD', a.rstDataCrc === null ? '0' : hex(a.rstDataCrc));
  m.set('Q', `${a.reservedBits ? 'R' : ''}${a.urgentPointer ? 'U' : ''}`);
  return m;
}

/** One draw of every answer a host of this fingerprint gives. */
export function drawProfile(fp: Fingerprint, seed: number): HostProfile {
  const rng = seededRng(seed);
  const L = (name: TestName): TestLine | undefined => fp.tests.get(name);
  const seqLine = L('SEQ');
  const ops = L('OPS');
  const win = L('WIN');
  const t1 = L('T1');

  const seq: (TcpAnswer | null)[] = [];
  for (let i = 1; i <= 6; i++) {
    seq.push(
      responds(t1) && t1
        ? tcpAnswer(t1, rng, {
            window: draw(win, `W${i}`, rng, 'FFFF'),
            options: draw(ops, `O${i}`, rng, 'M5B4'),
            defaultFlags: 'AS',
          })
        : null,
    );
  }
  const ecnLine = L('ECN');
  const ecn = responds(ecnLine) && ecnLine ? tcpAnswer(ecnLine, rng, { defaultFlags: 'AS' }) : null;
  if (ecn) {
    const cc = draw(ecnLine, 'CC', rng, 'N');
    ecn.flags =
      TCP_FLAGS.SYN |
      TCP_FLAGS.ACK |
      (cc === 'Y' || cc === 'S' ? TCP_FLAGS.ECE : 0) |
      (cc === 'S' || cc === 'O' ? TCP_FLAGS.CWR : 0);
    ecn.seq = 'O';
    ecn.ack = 'S+';
  }
  const t: (TcpAnswer | null)[] = [];
  for (const name of ['T2', 'T3', 'T4', 'T5', 'T6', 'T7'] as const) {
    const line = L(name);
    t.push(responds(line) && line ? tcpAnswer(line, rng, { defaultFlags: 'AR' }) : null);
  }

  const u1Line = L('U1');
  let u1: U1Answer | null = null;
  if (responds(u1Line) && u1Line) {
    const gOr = (attr: string): number | null => {
      const v = draw(u1Line, attr, rng, 'G');
      return v === 'G' ? null : parseInt(v, 16) || 0;
    };
    u1 = {
      df: draw(u1Line, 'DF', rng, 'N') === 'Y',
      ttl: drawTtl(u1Line, rng),
      ipl: parseInt(draw(u1Line, 'IPL', rng, '164'), 16) || 0x164,
      unused: parseInt(draw(u1Line, 'UN', rng, '0'), 16) >>> 0,
      ripl: gOr('RIPL'),
      rid: gOr('RID'),
      ripck: draw(u1Line, 'RIPCK', rng, 'G') as U1Answer['ripck'],
      ruck: gOr('RUCK'),
      rudIntact: draw(u1Line, 'RUD', rng, 'G') !== 'I',
    };
  }
  const ieLine = L('IE');
  let ie: IeAnswer | null = null;
  if (responds(ieLine) && ieLine) {
    const cd = draw(ieLine, 'CD', rng, 'Z');
    ie = {
      dfi: draw(ieLine, 'DFI', rng, 'N') as IeAnswer['dfi'],
      ttl: drawTtl(ieLine, rng),
      cd: cd === 'Z' || cd === 'S' || cd === 'O' ? { kind: cd } : { kind: 'value', code: parseInt(cd, 16) & 0xff },
    };
  }

  // Sequences.
  const ti = parseIpIdValue(draw(seqLine, 'TI', rng, 'I'));
  const ciText = seqLine?.get('CI') === undefined ? null : draw(seqLine, 'CI', rng, 'I');
  const ci = ciText === null ? ti : parseIpIdValue(ciText);
  const iiText = draw(seqLine, 'II', rng, 'I');
  const ii = parseIpIdValue(iiText);
  const ssText = seqLine?.get('SS') === undefined ? null : draw(seqLine, 'SS', rng, 'S');
  const incremental = (s: IpIdSpec): boolean => s.kind === 'I' || s.kind === 'BI' || s.kind === 'RI';
  const icmpShared = ssText !== 'O' && incremental(ti) && incremental(ii) && ti.kind === ii.kind;
  const closedShared = ci.kind === ti.kind && incremental(ti);
  const tsText = draw(seqLine, 'TS', rng, 'U');
  // O strings without a T option mean no timestamps whatever TS says.
  const anyTs = seq.some((a) => a?.options.some((o) => o.kind === 'ts'));
  const tsHz = anyTs ? (tsHzFor(tsText) ?? 100) : null;
  const isnTargets = {
    ...(seqLine?.get('GCD') !== undefined && { gcd: seqLine.get('GCD') as string }),
    ...(seqLine?.get('ISR') !== undefined && { isr: seqLine.get('ISR') as string }),
    ...(seqLine?.get('SP') !== undefined && { sp: seqLine.get('SP') as string }),
  };
  const isn = fitIsnModel(isnTargets, seed ^ 0x5eed).model;

  const synWithTs = ordinarySyn(seq[0] ?? null, ecn, true);
  const synWithoutTs = ordinarySyn(seq[0] ?? null, ecn, false);

  // What Nmap should record.
  const observed: ObservedPrint = new Map();
  const seqObs = new Map<string, string>();
  for (const attr of ['SP', 'GCD', 'ISR'] as const) {
    const expr = seqLine?.get(attr);
    if (expr !== undefined) seqObs.set(attr, sampleValue(expr, rng));
  }
  const idText = (s: IpIdSpec): string => (s.kind === 'constant' ? hex(s.value) : s.kind);
  if (seq.filter(Boolean).length >= 3) seqObs.set('TI', idText(ti));
  if (t.slice(3).filter(Boolean).length >= 2) seqObs.set('CI', idText(ci));
  if (ie) seqObs.set('II', idText(ii));
  if (ie && incremental(ti) && incremental(ii)) seqObs.set('SS', icmpShared ? 'S' : 'O');
  if (seq.some(Boolean)) seqObs.set('TS', tsHz === null ? 'U' : tsText);
  observed.set('SEQ', seqObs);
  if (seq.every(Boolean)) {
    observed.set('OPS', new Map(seq.map((a, i) => [`O${i + 1}`, optionString(a?.options ?? [])])));
    observed.set('WIN', new Map(seq.map((a, i) => [`W${i + 1}`, hex(a?.window ?? 0)])));
  }
  const ecnObs = tcpObserved(ecn, true);
  if (ecn) {
    ecnObs.delete('S');
    ecnObs.delete('A');
    ecnObs.delete('F');
    ecnObs.delete('RD');
    ecnObs.set('CC', draw(ecnLine, 'CC', seededRng(seed), 'N'));
  }
  observed.set('ECN', ecnObs);
  const t1Obs = tcpObserved(seq[0] ?? null, false);
  observed.set('T1', t1Obs);
  ['T2', 'T3', 'T4', 'T5', 'T6', 'T7'].forEach((name, i) =>
    observed.set(name as TestName, tcpObserved(t[i] ?? null, true)),
  );
  if (u1) {
    observed.set(
      'U1',
      new Map([
        ['R', 'Y'],
        ['DF', u1.df ? 'Y' : 'N'],
        ['T', hex(u1.ttl)],
        ['IPL', hex(u1.ipl)],
        ['UN', hex(u1.unused)],
        ['RIPL', u1.ripl === null ? 'G' : hex(u1.ripl)],
        ['RID', u1.rid === null ? 'G' : hex(u1.rid)],
        ['RIPCK', u1.ripck],
        ['RUCK', u1.ruck === null ? 'G' : hex(u1.ruck)],
        ['RUD', u1.rudIntact ? 'G' : 'I'],
      ]),
    );
  } else {
    observed.set('U1', new Map([['R', 'N']]));
  }
  if (ie) {
    observed.set(
      'IE',
      new Map([
        ['R', 'Y'],
        ['DFI', ie.dfi],
        ['T', hex(ie.ttl)],
        ['CD', ie.cd.kind === 'value' ? (ie.cd.code === 0 ? 'Z' : hex(ie.cd.code)) : ie.cd.kind],
      ]),
    );
  } else {
    observed.set('IE', new Map([['R', 'N']]));
  }
  // Without U1's answer Nmap cannot tell the distance and records TG instead of T.
  if (!u1) {
    for (const m of observed.values()) m.delete('T');
  } else {
    for (const m of observed.values()) m.delete('TG');
  }
  return {
    seq,
    ecn,
    t,
    u1,
    ie,
    synWithTs,
    synWithoutTs,
    isn,
    ipId: { tcp: ti, closed: ci, icmp: ii, closedShared, icmpShared },
    tsHz,
    observed,
  };
}

/**
 * The SYN-ACK for an ordinary SYN (an HTTP client's, not an Nmap probe): a
 * SYN carrying timestamps is answered as Nmap's first SEQ probe (O1/W1, with
 * T1's TTL, DF and flags), which carries MSS, window scale, SACK and
 * timestamps like a stock client; a SYN without timestamps as the ECN probe
 * (the ECN line's O/W/TTL/DF), which carries the same minus timestamps. When
 * the preferred line is missing (R=N) the other is used, with the timestamp
 * option removed or kept as the SYN asks.
 */
export function ordinarySyn(t1: TcpAnswer | null, ecn: TcpAnswer | null, synHasTs: boolean): TcpAnswer {
  const base =
    (synHasTs ? (t1 ?? ecn) : (ecn ?? t1)) ??
    ({
      df: true,
      ttl: 64,
      window: 8192,
      seq: 'O',
      ack: 'S+',
      flags: 0,
      options: [{ kind: 'mss', value: 1460 }],
      rstDataCrc: null,
      reservedBits: false,
      urgentPointer: false,
    } satisfies TcpAnswer);
  const options = synHasTs ? base.options : base.options.filter((o) => o.kind !== 'ts');
  return {
    ...base,
    seq: 'O',
    ack: 'S+',
    flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK,
    options,
    rstDataCrc: null,
    reservedBits: false,
    urgentPointer: false,
  };
}

export interface ProfileChoice {
  profiles: HostProfile[];
  /**
   * Per kept profile: own accuracy, best other-class accuracy, prints at
   * 100 %, and `robust`: its class's lead over any other, the smaller of the
   * lead with every answer and with the last one lost (withLastAnswerLost).
   */
  scores: { own: number; rival: number; rivalName: string; perfect: number; robust: number }[];
}

/**
 * The print Nmap records when it misses the last answer of its scan, or null
 * when the profile answers none of T2-T7. Nmap's last probes are T5, T6 and
 * T7, in that order, and on a loaded machine it can end a scan with their
 * answers still unread in its capture buffer (answered-probes.ts); measured
 * with 16 Nmap processes at load 14, T7 went missing on up to a third of one
 * OS's hosts, T6 with it on a sixth, earlier tests rarely. A profile whose
 * closed-port IP IDs are RD is the fragile kind: two samples left read as RI.
 */
export function withLastAnswerLost(observed: ObservedPrint): ObservedPrint | null {
  const last = (['T7', 'T6', 'T5', 'T4', 'T3', 'T2'] as const).find((t) => observed.get(t)?.get('R') === 'Y');
  return last === undefined ? null : withLostAnswers(observed, [last]);
}

/**
 * What Nmap records when the answers to `lost` never reach it: those tests
 * read R=N, and the closed-port IP ID class (CI) comes from the closed-port
 * answers left: none with fewer than two, and RD cannot be told from two
 * samples (Nmap reads a large jump between two as RI).
 */
export function withLostAnswers(observed: ObservedPrint, lost: readonly TestName[]): ObservedPrint {
  const out: ObservedPrint = new Map([...observed].map(([test, attrs]) => [test, new Map(attrs)]));
  for (const test of lost) out.set(test, new Map([['R', 'N']]));
  const seq = out.get('SEQ');
  const ci = seq?.get('CI');
  if (seq && ci !== undefined) {
    const closed = (['T5', 'T6', 'T7'] as const).filter((t) => out.get(t)?.get('R') === 'Y').length;
    if (closed < 2) seq.delete('CI');
    else if (closed === 2 && ci === 'RD') seq.set('CI', 'RI');
  }
  return out;
}

/**
 * Draws `count` profiles and keeps those Nmap should place first: own
 * accuracy high, the best print of another class (by `classOf`) well below,
 * also when Nmap misses the last answer (withLastAnswerLost: the smaller
 * lead counts, the lead with every answer breaks ties), and no more than 8
 * prints at 100 % (beyond that Nmap names none). Scoring every draw against
 * every print is slow, so draws after the first are scored against the first
 * draw's strongest rivals only (its 64 best prints, with and without its last
 * answer).
 */
export function chooseProfiles(
  fp: Fingerprint,
  db: OsDb,
  classOf: (f: Fingerprint) => string,
  opts: { count?: number; keep?: number; seed?: number } = {},
): ProfileChoice {
  const count = opts.count ?? 12;
  const keep = opts.keep ?? 4;
  const seed = opts.seed ?? hashSeed(fp.name, fp.line);
  const ownClass = classOf(fp);
  const candidates: {
    profile: HostProfile;
    own: number;
    rival: number;
    rivalName: string;
    perfect: number;
    robust: number;
  }[] = [];
  let rivals: Fingerprint[] | null = null;
  const strongest = (observed: ObservedPrint, pool: readonly Fingerprint[]): Fingerprint[] =>
    pool
      .filter((f) => f !== fp)
      .map((f) => ({ f, acc: accuracy(f, observed, db) }))
      .sort((a, b) => b.acc - a.acc)
      .slice(0, 64)
      .map((s) => s.f);
  for (let i = 0; i < count; i++) {
    const profile = drawProfile(fp, hashSeed(seed, i));
    const degraded = withLastAnswerLost(profile.observed);
    if (!rivals) {
      const prints = degraded ? [profile.observed, degraded] : [profile.observed];
      rivals = [...new Set(prints.flatMap((o) => strongest(o, db.fingerprints)))];
    }
    const pool = rivals;
    const scored: { f: Fingerprint; acc: number }[] = pool.map((f) => ({ f, acc: accuracy(f, profile.observed, db) }));
    const own = accuracy(fp, profile.observed, db);
    let rival = 0;
    let rivalName = '';
    const perfectNames = new Set<string>();
    for (const s of scored) {
      if (s.acc >= 1) perfectNames.add(s.f.name);
      if (s.f === fp || classOf(s.f) === ownClass) continue;
      // Ties go to the print earlier in the file.
      const beats = s.acc > rival && (s.acc > own || (s.acc === own && s.f.index < fp.index) || s.acc < own);
      if (beats) {
        rival = s.acc;
        rivalName = s.f.name;
      }
    }
    if (own >= 1) perfectNames.add(fp.name);
    // Nmap names the class of its best print, so under losses a print of our own class is as good as ours.
    const lead = (observed: ObservedPrint): number => {
      let mine = accuracy(fp, observed, db);
      let other = 0;
      for (const f of pool) {
        const acc = accuracy(f, observed, db);
        if (classOf(f) === ownClass) mine = Math.max(mine, acc);
        else other = Math.max(other, acc);
      }
      return mine - other;
    };
    const robust = degraded ? Math.min(own - rival, lead(degraded)) : own - rival;
    candidates.push({ profile, own, rival, rivalName, perfect: perfectNames.size, robust });
  }
  const merit = (c: (typeof candidates)[number]): number => c.robust - (c.perfect > 8 ? 1 : 0);
  candidates.sort((a, b) => merit(b) - merit(a) || b.own - b.rival - (a.own - a.rival));
  const best = candidates[0];
  const kept = candidates
    .filter((c, i) => i === 0 || (best !== undefined && merit(c) >= merit(best) - 0.01 && merit(c) > 0.02))
    .slice(0, keep);
  return {
    profiles: kept.map((c) => c.profile),
    scores: kept.map((c) => ({
      own: c.own,
      rival: c.rival,
      rivalName: c.rivalName,
      perfect: c.perfect,
      robust: c.robust,
    })),
  };
}
