import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { labelHosts, NmapSlots } from '../src/index.ts';
import type { BatchReport, LabelTarget } from '../src/index.ts';
import { fakeNmap, fixturePath, isAlive } from './fake-nmap.ts';
import type { FakeNmap } from './fake-nmap.ts';

const loopback: LabelTarget[] = [
  { ip: '127.0.0.1', openPort: 18080, closedPort: 18081 },
  { ip: '127.0.0.2', openPort: 18080, closedPort: 18081 },
  { ip: '127.0.0.3', openPort: 18080, closedPort: 18081 },
];

let fake: FakeNmap | undefined;
afterEach(() => fake?.remove());

describe('labelHosts with a stand-in Nmap (no packets)', () => {
  it('labels every host of the batch from Nmap XML; stderr warnings are not failures', async () => {
    fake =
      fakeNmap(`echo "Warning: OSScan results may be unreliable because we could not find at least 1 open and 1 closed port" >&2
cat '${fixturePath('loopback-three-hosts.xml')}'`);
    const reports: BatchReport[] = [];
    const labels = await labelHosts(loopback, { nmapPath: fake.path, processes: 1, onBatch: (r) => reports.push(r) });
    expect([...labels.keys()].sort()).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
    expect(labels.get('127.0.0.1')).toMatchObject({ label: 'Linux 5.X', label_status: 'ok' });
    expect(labels.get('127.0.0.2')).toMatchObject({ label_status: 'ok' });
    expect(labels.get('127.0.0.3')).toMatchObject({ label: null, label_status: 'no-match', nmap_guesses: '[]' });
    expect(reports).toMatchObject([{ hosts: 3, labelled: 2, exitCode: 0, error: null }]);
    expect(reports[0]?.stderr).toMatch(/OSScan results may be unreliable/);
    const [call] = fake.calls();
    expect(call?.stdin).toBe('127.0.0.1\n127.0.0.2\n127.0.0.3\n');
    expect(call?.argv).toEqual(expect.arrayContaining(['-O', '-p', 'T:18080,18081', '-iL', '-']));
  });

  it('runs several Nmap processes at once, each on its own batch', async () => {
    // Each stand-in waits until all three have started: only parallel processes get past the barrier.
    fake =
      fakeNmap(`touch "$n.started"; i=0; while [ "$(ls "$DIR" | grep -c started)" -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
[ $i -lt 100 ] || exit 3
cat '${fixturePath('loopback-three-hosts.xml')}'`);
    const reports: BatchReport[] = [];
    const labels = await labelHosts(loopback, {
      nmapPath: fake.path,
      processes: 3,
      batchSize: 1,
      onBatch: (r) => reports.push(r),
    });
    expect(reports.map((r) => r.exitCode)).toEqual([0, 0, 0]);
    expect(
      fake
        .calls()
        .map((c) => c.stdin)
        .sort(),
    ).toEqual(['127.0.0.1\n', '127.0.0.2\n', '127.0.0.3\n']);
    expect(labels.get('127.0.0.1')?.label_status).toBe('ok');
  });

  it('calls sharing NmapSlots never run more Nmap processes together than the slots allow', async () => {
    // Each stand-in notes how many are running when it starts, then holds its slot a while.
    fake =
      fakeNmap(`touch "$n.running"; ls "$DIR" | grep -c running >> "$DIR/concurrency.log"; sleep 0.3; rm "$n.running"
cat '${fixturePath('loopback-three-hosts.xml')}'`);
    const slots = new NmapSlots(2);
    const options = { nmapPath: fake.path, processes: 2, batchSize: 1, slots };
    const [first, second] = await Promise.all([
      labelHosts(loopback.slice(0, 2), options),
      labelHosts([loopback[2]!, loopback[0]!], options),
    ]);
    expect(fake.calls()).toHaveLength(4);
    const running = readFileSync(`${fake.dir}/concurrency.log`, 'utf8').trim().split('\n').map(Number);
    expect(running).toHaveLength(4);
    expect(Math.max(...running)).toBeLessThanOrEqual(2);
    expect([...first.values()].map((l) => l.label_status)).toEqual(['ok', 'ok']);
    expect(second.get('127.0.0.3')?.label_status).toBe('no-match');
    expect(() => new NmapSlots(0)).toThrow(/positive integer/);
  });

  it('gives every Nmap process running at once a source address of its own, of its batch family', async () => {
    // Each stand-in notes its -S address while it runs; all four run together (a barrier), then exit.
    // Each appends its line in one write: four appending at once in pieces interleaved their lines.
    fake = fakeNmap(`src=$(grep -A1 -x -- -S "$n.argv" | tail -1); echo "$src" > "$n.running"
i=0; while [ "$(ls "$DIR" | grep -c running)" -lt 4 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
line=$(cat "$DIR"/*.running | sort | tr '\\n' ' '); echo "$line" >> "$DIR/sources.log"
cat '${fixturePath('loopback-three-hosts.xml')}'`);
    const sources = ['198.18.0.150', '198.18.0.151', '198.18.0.152', 'fd00:18::c612:96'].map((address) => ({
      address,
      interface: 'eth0',
    }));
    await labelHosts([...loopback, { ip: '::1', openPort: 18080, closedPort: 18081 }], {
      nmapPath: fake.path,
      processes: 4,
      batchSize: 1,
      sources,
    });
    const calls = fake.calls();
    expect(calls).toHaveLength(4);
    const sourceOf = (argv: string[]) => (argv.includes('-S') ? argv[argv.indexOf('-S') + 1] : null);
    const v6 = calls.find((c) => c.argv.includes('-6'))!;
    expect(sourceOf(v6.argv)).toBe('fd00:18::c612:96');
    for (const call of calls) expect(call.argv[call.argv.indexOf('-e') + 1]).toBe('eth0');
    // All four ran together, each from its own address.
    const [together] = readFileSync(`${fake.dir}/sources.log`, 'utf8').trim().split('\n');
    expect(together!.trim().split(' ').sort()).toEqual(sources.map((s) => s.address).sort());
    // More processes than addresses: the least used one is shared.
    const slots = new NmapSlots(5, sources.slice(0, 3));
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const leased: (string | null)[] = [];
    const runs = Array.from({ length: 4 }, () =>
      slots.run(4, async (source) => {
        leased.push(source?.address ?? null);
        await held;
      }),
    );
    const v6Lease = await slots.run(6, async (source) => source);
    await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    await Promise.all(runs);
    expect(leased.sort()).toEqual(['198.18.0.150', '198.18.0.150', '198.18.0.151', '198.18.0.152']);
    expect(v6Lease).toBeNull();
    // Shared slots take the sources; a call may not bring its own besides.
    await expect(labelHosts(loopback, { nmapPath: fake.path, slots: new NmapSlots(2), sources })).rejects.toThrow(
      /give the source addresses to the shared NmapSlots/,
    );
    expect(() => new NmapSlots(2, [sources[0]!, sources[0]!])).toThrow(/given twice/);
  });

  it('batches up to 32 hosts where every process has an address of its own, else 16; spreadOver sets the fewest', async () => {
    fake = fakeNmap(`cat '${fixturePath('loopback-three-hosts.xml')}'`);
    const hosts = (n: number): LabelTarget[] =>
      Array.from({ length: n }, (_, i) => ({ ip: `127.0.1.${i + 1}`, openPort: 18080, closedPort: 18081 }));
    const batchSizes = async (options: Parameters<typeof labelHosts>[1]) => {
      fake!.remove();
      fake = fakeNmap(`cat '${fixturePath('loopback-three-hosts.xml')}'`);
      await labelHosts(hosts(80), { nmapPath: fake.path, tuning: { noGuessRetries: 0 }, ...options });
      return fake
        .calls()
        .map((c) => c.stdin.trim().split('\n').length)
        .sort((a, b) => b - a);
    };
    const sources = ['198.18.0.150', '198.18.0.151'].map((address) => ({ address, interface: 'eth0' }));
    // A shared address: Nmap's 20-host limit holds.
    expect(await batchSizes({ processes: 2 })).toEqual([16, 16, 16, 16, 16]);
    expect(await batchSizes({ processes: 3, sources })).toEqual([16, 16, 16, 16, 16]);
    // An address for each process: fuller batches.
    expect(await batchSizes({ processes: 2, sources })).toEqual([27, 27, 26]);
    expect(await batchSizes({ slots: new NmapSlots(2, sources), processes: 2 })).toEqual([27, 27, 26]);
    // Spread over the processes unless told otherwise; a given batchSize wins.
    expect(await batchSizes({ processes: 8, sources: [] })).toEqual([10, 10, 10, 10, 10, 10, 10, 10]);
    expect(await batchSizes({ processes: 8, spreadOver: 2 })).toEqual([16, 16, 16, 16, 16]);
    expect(await batchSizes({ processes: 2, sources, batchSize: 40 })).toEqual([40, 40]);
    expect(new NmapSlots(2, sources).hasSourceEach(4)).toBe(true);
    expect(new NmapSlots(2, sources).hasSourceEach(6)).toBe(false);
    expect(new NmapSlots(3, sources).hasSourceEach(4)).toBe(false);
  });

  it('without source addresses, Nmap picks its own (no -S, no -e)', async () => {
    fake = fakeNmap(`cat '${fixturePath('loopback-three-hosts.xml')}'`);
    await labelHosts(loopback, { nmapPath: fake.path, processes: 1 });
    const [call] = fake.calls();
    expect(call?.argv).not.toContain('-S');
    expect(call?.argv).not.toContain('-e');
  });

  describe('hosts that answered but got no guess are scanned once more', () => {
    const lost: LabelTarget[] = [
      { ip: '198.19.192.1', openPort: 80, closedPort: 1 },
      { ip: '198.19.192.5', openPort: 80, closedPort: 1 },
    ];
    // First run: the recorded contention run (192.5 lost its answers); later runs: a full answer for whoever is asked.
    const secondChance = (later: string) =>
      fakeNmap(
        `if [ ! -e "$DIR/first" ]; then touch "$DIR/first"; cat '${fixturePath('lab-lost-answers.xml')}'; else ${later}; fi`,
      );

    it('the retry pass labels them', async () => {
      fake = secondChance(`sed "s/127\\.0\\.0\\.1/$(head -1 "$n.stdin")/" '${fixturePath('loopback-linux.xml')}'`);
      const labels = await labelHosts(lost, { nmapPath: fake.path, processes: 1 });
      expect(labels.get('198.19.192.1')).toMatchObject({ label_status: 'ok', nmap_tries: 1 });
      expect(labels.get('198.19.192.5')).toMatchObject({ label_status: 'ok', label: 'Linux 5.X', nmap_tries: 2 });
      expect(
        fake
          .calls()
          .map((c) => c.stdin)
          .sort(),
      ).toEqual(['198.19.192.1\n198.19.192.5\n', '198.19.192.5\n']);
    });

    it('a retry that does worse keeps the first answer', async () => {
      fake = secondChance('exit 1');
      const labels = await labelHosts(lost, { nmapPath: fake.path, processes: 1 });
      expect(labels.get('198.19.192.5')).toMatchObject({ label_status: 'no-match', nmap_guesses: '[]', nmap_tries: 2 });
      expect(fake.calls()).toHaveLength(2);
    });

    it('noGuessRetries: 0 turns it off', async () => {
      fake = secondChance('exit 1');
      const labels = await labelHosts(lost, { nmapPath: fake.path, processes: 1, tuning: { noGuessRetries: 0 } });
      expect(labels.get('198.19.192.5')?.label_status).toBe('no-match');
      expect(fake.calls()).toHaveLength(1);
    });
  });

  it('a crashed Nmap fails the hosts it had not finished, keeps the ones it had', async () => {
    const xml = fixturePath('loopback-three-hosts.xml');
    fake = fakeNmap(`sed -n '1,/<\\/host>/p' '${xml}'; echo "nmap: segfault" >&2; kill -SEGV $$`);
    const reports: BatchReport[] = [];
    const labels = await labelHosts(loopback, { nmapPath: fake.path, processes: 1, onBatch: (r) => reports.push(r) });
    expect(labels.get('127.0.0.1')).toMatchObject({ label: 'Linux 5.X', label_status: 'ok' });
    expect(labels.get('127.0.0.2')).toMatchObject({ label: null, label_status: 'failed', nmap_guesses: null });
    expect(labels.get('127.0.0.3')?.label_status).toBe('failed');
    expect(reports[0]).toMatchObject({ exitSignal: 'SIGSEGV', error: expect.stringMatching(/SIGSEGV.*segfault/) });
  });

  it('a Nmap that refuses to run fails the batch with its message', async () => {
    fake = fakeNmap(
      `echo "You requested a scan type which requires root privileges." >&2; echo "QUITTING!" >&2; exit 1`,
    );
    const reports: BatchReport[] = [];
    const labels = await labelHosts(loopback, { nmapPath: fake.path, onBatch: (r) => reports.push(r) });
    expect([...labels.values()].map((l) => l.label_status)).toEqual(['failed', 'failed', 'failed']);
    expect(reports[0]?.error).toMatch(/code 1.*QUITTING!/);
  });

  it('the batch deadline kills Nmap; finished hosts keep their labels, the rest time out', async () => {
    const xml = fixturePath('loopback-three-hosts.xml');
    fake = fakeNmap(`sed -n '1,/<\\/host>/p' '${xml}'; echo $$ > "$DIR/pid"; sleep 30`);
    const started = performance.now();
    const labels = await labelHosts(loopback, { nmapPath: fake.path, processes: 1, timeoutMs: 500 });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(labels.get('127.0.0.1')?.label_status).toBe('ok');
    expect(labels.get('127.0.0.2')?.label_status).toBe('timeout');
  });

  it('an AbortSignal kills every Nmap, its children too, and labelHosts rejects', async () => {
    fake = fakeNmap(`sleep 300 & echo $! >> "$DIR/pids"; echo $$ >> "$DIR/pids"; wait`);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('shutting down')), 400);
    await expect(
      labelHosts(loopback, { nmapPath: fake.path, processes: 3, batchSize: 1, signal: controller.signal }),
    ).rejects.toThrow('shutting down');
    const { readFileSync } = await import('node:fs');
    const pids = readFileSync(`${fake.dir}/pids`, 'utf8').trim().split('\n').map(Number);
    expect(pids).toHaveLength(6);
    expect(pids.filter(isAlive)).toEqual([]);
  });

  it('an already aborted signal starts nothing', async () => {
    fake = fakeNmap('exit 0');
    await expect(
      labelHosts(loopback, { nmapPath: fake.path, signal: AbortSignal.abort(new Error('too late')) }),
    ).rejects.toThrow('too late');
    expect(fake.calls()).toEqual([]);
  });

  it('a missing Nmap is a clear error', async () => {
    await expect(labelHosts(loopback, { nmapPath: '/nonexistent/nmap' })).rejects.toThrow(
      /not found.*apt-get install nmap/,
    );
  });

  it('no targets, no Nmap', async () => {
    expect((await labelHosts([], { nmapPath: '/nonexistent/nmap' })).size).toBe(0);
  });

  it('the exec option wraps the command (as `ip netns exec NS` does)', async () => {
    fake = fakeNmap(`cat '${fixturePath('loopback-three-hosts.xml')}'`);
    const seen: string[] = [];
    const labels = await labelHosts(loopback.slice(0, 1), {
      nmapPath: 'nmap-in-namespace',
      exec: (command, args) => {
        seen.push(command);
        return ['env', ['OSFP_WRAPPED=1', fake?.path ?? '', ...args]];
      },
    });
    expect(seen).toEqual(['nmap-in-namespace']);
    expect(labels.get('127.0.0.1')?.label_status).toBe('ok');
  });
});
