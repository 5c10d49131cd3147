/**
 * What keeps Nmap labelling an emulated host right when it scans on a loaded
 * machine: a retransmitted probe gets no second answer (answered-probes.ts),
 * and the profiles a responder keeps name their class even when Nmap misses
 * the last answer of its scan (host-profile.ts).
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EMULATED, DEFAULT_OS_DB, fingerprintClass, loadOsDb } from '../src/index.ts';
import { AnsweredProbes, RETRANSMISSION_WINDOW_S } from '../src/emulator/answered-probes.ts';
import { TCP_FLAGS, withLastAnswerLost, withLostAnswers } from '../src/emulator/host-profile.ts';
import { ipToInt, readIpv4, readTcp } from '../src/emulator/packets.ts';
import { rankPrints, type ObservedPrint } from '../src/emulator/scoring.ts';
import { echoProbe, offlineStack, opts, probeFrame, udpProbe } from './nmap-offline.ts';

const installed = existsSync(DEFAULT_OS_DB);
const { SYN, FIN, PSH, URG } = TCP_FLAGS;

describe('answered probes', () => {
  it('holds an answer for the retransmission window, then forgets it', () => {
    const answered = new AnsweredProbes(10);
    answered.add('a', 100);
    expect(answered.has('a', 100.3)).toBe(true);
    expect(answered.has('b', 100.3)).toBe(false);
    expect(answered.has('a', 110)).toBe(false);
    answered.add('b', 105);
    answered.sweep(111);
    expect(answered.size).toBe(1);
    expect(answered.has('b', 111)).toBe(true);
  });

  it('stays within its capacity by forgetting the oldest answers first', () => {
    const answered = new AnsweredProbes(10, 3);
    for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) answered.add(key, 100 + i);
    expect(answered.size).toBe(3);
    expect(answered.has('a', 104)).toBe(false);
    expect(answered.has('d', 104)).toBe(true);
  });
});

describe.skipIf(!installed)('emulated stack: retransmitted Nmap probes', () => {
  const host = ipToInt('198.18.4.17');
  // Nmap's probes as osscan2.cc sends them; a retransmission is the same bytes but IP ID and TTL.
  const probes = (id: number) => ({
    seq1: probeFrame(host, {
      sport: 40000,
      dport: 80,
      seq: 0x1000,
      ack: 0x2000,
      flags: SYN,
      window: 1,
      df: false,
      options: opts(0),
      id,
    }),
    t5: probeFrame(host, {
      sport: 40017,
      dport: 1,
      seq: 0x1000,
      ack: 0x2000,
      flags: SYN,
      window: 31337,
      df: false,
      options: opts(7),
      id,
    }),
    t7: probeFrame(host, {
      sport: 40019,
      dport: 1,
      seq: 0x1000,
      ack: 0x2000,
      flags: FIN | PSH | URG,
      window: 65535,
      df: false,
      options: opts(8),
      id,
    }),
    u1: udpProbe(host, 41000, 33333),
    ie: echoProbe(host, 9, true, 0, 0x4242, 295, 120),
  });

  it('answers each probe once: the copies Nmap resends while the first answer waits unread get none', () => {
    const now = { t: 1_000 };
    const sent: Buffer[] = [];
    const stack = offlineStack('Linux 4.4', now, sent);
    const first = probes(100);
    for (const frame of Object.values(first)) stack.handleFrame(frame, frame.length, now.t);
    expect(sent).toHaveLength(5);
    const firstT5 = readIpv4(sent[1]!, sent[1]!.length)!;
    expect(readTcp(sent[1]!, firstT5)!.flags & TCP_FLAGS.RST).toBeTruthy();
    // Three retransmissions of everything, 100 ms apart, as Nmap sends them when its reading lags.
    for (let i = 1; i <= 3; i++) {
      for (const frame of Object.values(probes(100 + i))) stack.handleFrame(frame, frame.length, now.t + i * 0.1);
    }
    expect(sent).toHaveLength(5);
    expect(stack.counters.repeats).toBe(15);
    // Another probe (T7's source port with another sequence number) is no retransmission.
    const other = probeFrame(host, {
      sport: 40019,
      dport: 1,
      seq: 0x1001,
      ack: 0x2000,
      flags: FIN | PSH | URG,
      window: 65535,
      df: false,
      options: opts(8),
      id: 200,
    });
    stack.handleFrame(other, other.length, now.t + 0.5);
    expect(sent).toHaveLength(6);
    // Past the window the same bytes are a new probe (a later scan that happened on the same ports).
    const late = probes(300).t5;
    stack.handleFrame(late, late.length, now.t + RETRANSMISSION_WINDOW_S + 1);
    expect(sent).toHaveLength(7);
  });

  it('answers the retransmission when the path lost the first answer', () => {
    const now = { t: 1_000 };
    const sent: Buffer[] = [];
    const stack = offlineStack('Linux 4.4', now, sent, { lossOut: 1 });
    for (let i = 0; i < 3; i++) {
      const t5 = probes(100 + i).t5;
      stack.handleFrame(t5, t5.length, now.t + i * 0.1);
    }
    stack.close();
    expect(stack.counters.repeats).toBe(0);
    expect(stack.counters.dropped).toBe(3);
  });
});

describe('what Nmap records when answers go missing', () => {
  const print = (ci: string, closed: ('Y' | 'N')[]): ObservedPrint =>
    new Map([
      ['SEQ', new Map([['CI', ci]])],
      ...(['T5', 'T6', 'T7'] as const).map((t, i) => [t, new Map([['R', closed[i]!]])] as const),
    ]);

  it('reads R=N for lost tests, and the closed-port IP ID class from the closed-port answers left', () => {
    const lost = withLostAnswers(print('RD', ['Y', 'Y', 'Y']), ['T7']);
    expect(lost.get('T7')?.get('R')).toBe('N');
    // Two samples of a random counter: a jump Nmap reads as RI (RD needs three).
    expect(lost.get('SEQ')?.get('CI')).toBe('RI');
    expect(
      withLostAnswers(print('I', ['Y', 'Y', 'Y']), ['T7'])
        .get('SEQ')
        ?.get('CI'),
    ).toBe('I');
    expect(
      withLostAnswers(print('I', ['Y', 'Y', 'Y']), ['T6', 'T7'])
        .get('SEQ')
        ?.has('CI'),
    ).toBe(false);
    // The last answered test is the one lost; a profile that answers none of T2-T7 has none to lose.
    expect(
      withLastAnswerLost(print('I', ['Y', 'Y', 'N']))
        ?.get('T6')
        ?.get('R'),
    ).toBe('N');
    expect(withLastAnswerLost(print('I', ['N', 'N', 'N']))).toBeNull();
  });
});

describe.skipIf(!installed)('profiles that survive a missed last answer', () => {
  it('keeps, for every default OS, profiles whose class Nmap still ranks first without their last answer', () => {
    const db = loadOsDb();
    const now = { t: 1_000 };
    for (const def of DEFAULT_EMULATED) {
      const stack = offlineStack(def.fingerprint, now, []);
      for (const [i, profile] of stack.profiles.entries()) {
        const degraded = withLastAnswerLost(profile.observed) ?? profile.observed;
        const top = rankPrints(degraded, db, 1)[0]!;
        expect(fingerprintClass(top.fingerprint), `${def.slug} profile ${i}: ${top.fingerprint.name}`).toBe(
          def.expectedClass,
        );
        expect(stack.profileScores[i]!.robust, `${def.slug} profile ${i}`).toBeGreaterThan(0);
      }
    }
  }, 180_000);

  it('gives Linux 4.4 no profile whose closed-port IP IDs are RD (T7 lost, Nmap reads RI and Linux 3.X gains)', () => {
    const stack = offlineStack('Linux 4.4', { t: 1_000 }, []);
    expect(stack.profiles.map((p) => p.observed.get('SEQ')?.get('CI'))).not.toContain('RD');
  }, 60_000);
});
