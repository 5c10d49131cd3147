import { describe, expect, it } from 'vitest';
import { CaptureFrameDecoder, SynAckTable, connectionKey } from '../src/sniffer/index.ts';
import {
  encodeStatsFrame,
  encodeSynAckFrame,
  encodeSynFrame,
  encodeSyncedFrame,
} from '../src/sniffer/capture-frames.ts';
import { SynPairing } from '../src/sniffer/syn-pairing.ts';

/** A SYN-ACK as offered (all acknowledge the same SYN unless `ack` says otherwise) and as claimed. */
const packet = (n: number, ack = 100) => ({ packet: Uint8Array.of(n), receivedAt: n, ack, syn: null });
const claimed = (n: number, count = 1, ack = 100) => ({ ...packet(n, ack), count });

function tableWithManualSync(options: { now?: () => number; maxUnclaimed?: number; unclaimedTtlMs?: number } = {}) {
  const syncs: number[] = [];
  const table = new SynAckTable({ requestSync: (id) => syncs.push(id), ...options });
  return { table, syncs };
}

describe('SynAckTable', () => {
  it('hands a packet that arrived before the claim to the claim, once', async () => {
    const { table, syncs } = tableWithManualSync();
    table.offer(connectionKey('198.19.0.2', 80, 40000), packet(1));
    await expect(table.claim('198.19.0.2:80:40000')).resolves.toEqual(claimed(1));
    expect(syncs).toEqual([]);
    expect(table.stats()).toMatchObject({ matched: 1, unclaimed: 0 });
  });

  it('matches on remote address, remote port and local port', async () => {
    const { table } = tableWithManualSync();
    table.offer(connectionKey('198.19.0.2', 80, 40000), packet(1));
    table.offer(connectionKey('198.19.0.2', 443, 40000), packet(2));
    table.offer(connectionKey('198.19.0.3', 80, 40000), packet(3));
    await expect(table.claim(connectionKey('198.19.0.2', 443, 40000))).resolves.toEqual(claimed(2));
    await expect(table.claim(connectionKey('198.19.0.3', 80, 40000))).resolves.toEqual(claimed(3));
    await expect(table.claim(connectionKey('198.19.0.2', 80, 40000))).resolves.toEqual(claimed(1));
  });

  it('delivers a packet that arrives after the claim, before the sync answer', async () => {
    const { table, syncs } = tableWithManualSync();
    const claim = table.claim('a:1:2');
    expect(syncs).toEqual([1]);
    table.offer('a:1:2', packet(7));
    table.synced(1);
    await expect(claim).resolves.toEqual(claimed(7));
  });

  it('settles a claim with null once the sync sent after it is answered', async () => {
    const { table, syncs } = tableWithManualSync();
    const first = table.claim('a:1:2');
    const second = table.claim('b:1:2'); // made while sync 1 is in flight: needs sync 2
    table.synced(1);
    await expect(first).resolves.toBeNull();
    expect(syncs).toEqual([1, 2]);
    let settled = false;
    void second.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    table.synced(2);
    await expect(second).resolves.toBeNull();
    expect(table.stats()).toMatchObject({ missed: 2, waiting: 0 });
  });

  it('ignores a stale sync answer', async () => {
    const { table } = tableWithManualSync();
    const claim = table.claim('a:1:2');
    table.synced(99);
    table.offer('a:1:2', packet(3));
    await expect(claim).resolves.toEqual(claimed(3));
  });

  it('gives up on a sync that is never answered', async () => {
    const table = new SynAckTable({ requestSync: () => undefined, syncTimeoutMs: 20 });
    await expect(table.claim('a:1:2')).resolves.toBeNull();
  });

  it('does not hand out a SYN-ACK read before the claimer connected (an earlier connection on the same ports)', async () => {
    const { table, syncs } = tableWithManualSync();
    table.offer('a:1:2', { ...packet(1), receivedAt: 1_000 });
    const claim = table.claim('a:1:2', 5_000);
    expect(syncs).toEqual([1]);
    table.offer('a:1:2', { ...packet(2, 200), receivedAt: 5_010 });
    await expect(claim).resolves.toEqual({ ...claimed(2, 1, 200), receivedAt: 5_010 });
    expect(table.stats()).toMatchObject({ stale: 1, matched: 1 });
  });

  it('judges an earlier connection by when its SYN was sent, when the capture paired one', async () => {
    const { table } = tableWithManualSync();
    const syn = { packet: Uint8Array.of(9), sentAt: 4_000, sends: 1 };
    // Read after connect() but answering a SYN sent before it: a late SYN-ACK of the previous connection.
    table.offer('a:1:2', { ...packet(1), receivedAt: 5_100, syn });
    table.claim('a:1:2', 5_000).catch(() => undefined);
    expect(table.stats()).toMatchObject({ stale: 1, matched: 0 });
  });

  it('keeps the first copy of a retransmitted SYN-ACK and counts the copies', async () => {
    const { table } = tableWithManualSync();
    table.offer('a:1:2', packet(1));
    table.offer('a:1:2', packet(2));
    table.offer('a:1:2', packet(3));
    await expect(table.claim('a:1:2')).resolves.toEqual(claimed(1, 3));
    expect(table.stats().duplicates).toBe(2);
  });

  it('lets a SYN-ACK answering a newer SYN on the same ports replace an unclaimed one (port reuse)', async () => {
    const { table } = tableWithManualSync();
    table.offer('a:1:2', packet(1, 100));
    table.offer('a:1:2', packet(2, 500));
    await expect(table.claim('a:1:2')).resolves.toEqual(claimed(2, 1, 500));
    expect(table.stats()).toMatchObject({ replaced: 1, duplicates: 0 });
  });

  it('expires unclaimed packets after their time to live', async () => {
    let now = 0;
    const { table } = tableWithManualSync({ now: () => now, unclaimedTtlMs: 1_000 });
    table.offer('old:1:1', packet(1));
    now = 600;
    table.offer('young:1:1', packet(2));
    now = 1_200;
    table.expire();
    expect(table.stats()).toMatchObject({ expired: 1, unclaimed: 1 });
    await expect(table.claim('young:1:1')).resolves.toEqual(claimed(2));
  });

  it('never holds more than maxUnclaimed packets, dropping the oldest', () => {
    const { table } = tableWithManualSync({ maxUnclaimed: 3 });
    for (let i = 0; i < 10; i++) table.offer(`h:${i}:1`, packet(i));
    expect(table.stats()).toMatchObject({ unclaimed: 3, evicted: 7 });
  });

  it('settles every waiting claim on close', async () => {
    const { table } = tableWithManualSync();
    const claim = table.claim('a:1:2');
    table.close();
    await expect(claim).resolves.toBeNull();
    await expect(table.claim('b:1:2')).resolves.toBeNull();
  });
});

describe('CaptureFrameDecoder', () => {
  it('decodes frames split at any byte', () => {
    const counts = {
      packetsRead: 10,
      synAcksForwarded: 4,
      readErrors: 0,
      foreignSynAcks: 2,
      retransmittedSyns: 1,
      cpuMs: 12.5,
    };
    const syn = { packet: Uint8Array.of(5, 6), sentAt: 1200.25, sends: 2 };
    const stream = Buffer.concat([
      encodeSynAckFrame(Uint8Array.of(1, 2, 3), 1234.5, syn, 1),
      encodeSynAckFrame(Uint8Array.of(4), 1240, null, 0),
      encodeSyncedFrame(42),
      encodeSynFrame(Uint8Array.of(9), 7),
      encodeStatsFrame(counts),
    ]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new CaptureFrameDecoder();
      const frames = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      expect(frames).toEqual([
        { kind: 'synack', packet: Uint8Array.of(1, 2, 3), receivedAt: 1234.5, syn, answer: 1 },
        { kind: 'synack', packet: Uint8Array.of(4), receivedAt: 1240, syn: null, answer: 0 },
        { kind: 'synced', id: 42 },
        { kind: 'syn', packet: Uint8Array.of(9), receivedAt: 7 },
        { kind: 'stats', ...counts },
      ]);
    }
  });

  it('refuses a corrupt stream', () => {
    expect(() => new CaptureFrameDecoder().push(Buffer.of(77))).toThrow(/corrupt/);
  });
});

describe('SynPairing', () => {
  const syn = (n: number) => Uint8Array.of(n);

  it('pairs a SYN-ACK only with the SYN it acknowledges', () => {
    const pairing = new SynPairing(10_000);
    pairing.sent('k', 1000, syn(1), 0);
    expect(pairing.answered('k', 1001, 5)).toMatchObject({ kind: 'paired', answer: 1, syn: { seq: 1000, sends: 1 } });
    expect(pairing.answered('k', 1001, 6)).toMatchObject({ kind: 'paired', answer: 2 });
    expect(pairing.answered('k', 77, 7)).toEqual({ kind: 'foreign' });
    expect(pairing.answered('other', 1001, 8)).toEqual({ kind: 'unpaired' });
  });

  it('counts a SYN sent again with the same sequence number as a retransmission', () => {
    const pairing = new SynPairing(10_000);
    pairing.sent('k', 0xffffffff, syn(1), 0);
    pairing.sent('k', 0xffffffff, syn(2), 1000);
    // The sequence number wraps: ack = seq + 1 mod 2^32.
    expect(pairing.answered('k', 0, 1500)).toMatchObject({ kind: 'paired', syn: { sends: 2, firstAt: 0 } });
    expect(pairing.stats()).toMatchObject({ retransmittedSyns: 1 });
  });

  it('takes a new sequence number on the same 4-tuple as a new connection (port reuse)', () => {
    const pairing = new SynPairing(10_000);
    pairing.sent('k', 1000, syn(1), 0);
    pairing.sent('k', 5000, syn(2), 100);
    expect(pairing.answered('k', 1001, 150)).toEqual({ kind: 'foreign' }); // the old connection's late SYN-ACK
    expect(pairing.answered('k', 5001, 160)).toMatchObject({ kind: 'paired', syn: { seq: 5000, firstAt: 100 } });
  });

  it('forgets SYNs after their time to live and beyond its bound', () => {
    const pairing = new SynPairing(1_000, 2);
    pairing.sent('a', 1, syn(1), 0);
    pairing.sent('b', 1, syn(1), 500);
    expect(pairing.answered('a', 2, 1_200)).toEqual({ kind: 'unpaired' });
    pairing.sent('c', 1, syn(1), 1_300);
    pairing.sent('d', 1, syn(1), 1_301);
    expect(pairing.stats().remembered).toBe(2);
  });
});
