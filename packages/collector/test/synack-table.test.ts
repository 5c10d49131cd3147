import { describe, expect, it } from 'vitest';
import { CaptureFrameDecoder, SynAckTable, connectionKey } from '../src/sniffer/index.ts';
import {
  encodePacketFrame,
  encodeStatsFrame,
  encodeSyncedFrame,
  FRAME_SYN,
  FRAME_SYNACK,
} from '../src/sniffer/capture-frames.ts';

const packet = (n: number) => ({ packet: Uint8Array.of(n), receivedAt: n });

function tableWithManualSync(options: { now?: () => number; maxUnclaimed?: number; unclaimedTtlMs?: number } = {}) {
  const syncs: number[] = [];
  const table = new SynAckTable({ requestSync: (id) => syncs.push(id), ...options });
  return { table, syncs };
}

describe('SynAckTable', () => {
  it('hands a packet that arrived before the claim to the claim, once', async () => {
    const { table, syncs } = tableWithManualSync();
    table.offer(connectionKey('198.19.0.2', 80, 40000), packet(1));
    await expect(table.claim('198.19.0.2:80:40000')).resolves.toEqual(packet(1));
    expect(syncs).toEqual([]);
    expect(table.stats()).toMatchObject({ matched: 1, unclaimed: 0 });
  });

  it('matches on remote address, remote port and local port', async () => {
    const { table } = tableWithManualSync();
    table.offer(connectionKey('198.19.0.2', 80, 40000), packet(1));
    table.offer(connectionKey('198.19.0.2', 443, 40000), packet(2));
    table.offer(connectionKey('198.19.0.3', 80, 40000), packet(3));
    await expect(table.claim(connectionKey('198.19.0.2', 443, 40000))).resolves.toEqual(packet(2));
    await expect(table.claim(connectionKey('198.19.0.3', 80, 40000))).resolves.toEqual(packet(3));
    await expect(table.claim(connectionKey('198.19.0.2', 80, 40000))).resolves.toEqual(packet(1));
  });

  it('delivers a packet that arrives after the claim, before the sync answer', async () => {
    const { table, syncs } = tableWithManualSync();
    const claim = table.claim('a:1:2');
    expect(syncs).toEqual([1]);
    table.offer('a:1:2', packet(7));
    table.synced(1);
    await expect(claim).resolves.toEqual(packet(7));
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
    await expect(claim).resolves.toEqual(packet(3));
  });

  it('gives up on a sync that is never answered', async () => {
    const table = new SynAckTable({ requestSync: () => undefined, syncTimeoutMs: 20 });
    await expect(table.claim('a:1:2')).resolves.toBeNull();
  });

  it('does not hand out a SYN-ACK read before the claimer connected (an earlier connection on the same ports)', async () => {
    const { table, syncs } = tableWithManualSync();
    table.offer('a:1:2', { packet: Uint8Array.of(1), receivedAt: 1_000 });
    const claim = table.claim('a:1:2', 5_000);
    expect(syncs).toEqual([1]);
    table.offer('a:1:2', { packet: Uint8Array.of(2), receivedAt: 5_010 });
    await expect(claim).resolves.toEqual({ packet: Uint8Array.of(2), receivedAt: 5_010 });
    expect(table.stats()).toMatchObject({ stale: 1, matched: 1 });
  });

  it('keeps the first copy of a retransmitted SYN-ACK', async () => {
    const { table } = tableWithManualSync();
    table.offer('a:1:2', packet(1));
    table.offer('a:1:2', packet(2));
    await expect(table.claim('a:1:2')).resolves.toEqual(packet(1));
    expect(table.stats().duplicates).toBe(1);
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
    await expect(table.claim('young:1:1')).resolves.toEqual(packet(2));
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
    const stream = Buffer.concat([
      encodePacketFrame(FRAME_SYNACK, Uint8Array.of(1, 2, 3), 1234.5),
      encodeSyncedFrame(42),
      encodePacketFrame(FRAME_SYN, Uint8Array.of(9), 7),
      encodeStatsFrame(10, 4, 0),
    ]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new CaptureFrameDecoder();
      const frames = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      expect(frames).toEqual([
        { kind: 'synack', packet: Uint8Array.of(1, 2, 3), receivedAt: 1234.5 },
        { kind: 'synced', id: 42 },
        { kind: 'syn', packet: Uint8Array.of(9), receivedAt: 7 },
        { kind: 'stats', packetsRead: 10, synAcksForwarded: 4, readErrors: 0 },
      ]);
    }
  });

  it('refuses a corrupt stream', () => {
    expect(() => new CaptureFrameDecoder().push(Buffer.of(77))).toThrow(/corrupt/);
  });
});
