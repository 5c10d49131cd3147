import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs, scratchDir } from '@osfp/test-support';
import { emptyIngestCounts, ingestTargets, type MalformedLine } from '../src/coordinator/target-ingest.ts';
import { TargetIndex } from '../src/coordinator/target-index.ts';
import { NameResolver } from '../src/dns/name-resolver.ts';
import { ExclusionPolicy } from '../src/exclusions/exclusion-policy.ts';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

describe.skipIf(needs('dnsmasq'))('target ingest (names resolved by a private dnsmasq on 127.0.0.1)', () => {
  let dnsmasq: ChildProcess;
  let server: string;

  beforeAll(async () => {
    const port = await freePort();
    server = `127.0.0.1:${port}`;
    dnsmasq = spawn(
      'dnsmasq',
      [
        '--keep-in-foreground',
        '--no-resolv',
        '--no-hosts',
        '--listen-address=127.0.0.1',
        '--bind-interfaces',
        `--port=${port}`,
        '--user=root',
        '--host-record=a.test,198.18.1.1',
        '--host-record=b.test,198.18.1.1',
        '--host-record=c.test,198.18.1.2',
        '--host-record=multi.test,198.18.1.3',
        '--host-record=multi.test,198.18.1.4',
        '--host-record=private.test,10.1.2.3',
        '--host-record=dual.test,198.18.1.5,fd00:18::5',
        '--host-record=six.test,fd00:18::6',
        '--local=/six.test/', // answered here: no A record is NODATA, not a refused forward
        '--address=/nx.test/',
      ],
      { stdio: 'ignore' },
    );
    await new Promise((r) => setTimeout(r, 400));
  });
  afterAll(() => {
    dnsmasq?.kill();
  });

  it('resolves, excludes, dedupes and keeps every name of an address', async () => {
    const dir = await scratchDir('osfp-ingest-');
    const file = join(dir, 'targets.csv');
    await writeFile(
      file,
      [
        'rank,domain',
        '1,a.test',
        '2,b.test',
        '3,c.test',
        '4,a.test',
        '5,multi.test',
        '6,private.test',
        '7,nx.test',
        '8,bad name',
        '198.18.1.2',
        '10.0.0.1',
        '198.18.2.0/30',
        '1.1.1.1',
      ].join('\n'),
    );
    const index = await TargetIndex.open(join(dir, 'index.duckdb'));
    const resolver = new NameResolver({ servers: [server], concurrency: 4, timeoutMs: 2000 });
    const policy = new ExclusionPolicy({ allow: ['198.18.0.0/15'], exclude: ['1.1.1.1/32'] });
    const malformed: MalformedLine[] = [];
    const counts = await ingestTargets({
      file,
      index,
      resolver,
      policy,
      families: new Set([4]),
      counts: emptyIngestCounts(),
      onMalformed: (m) => malformed.push(m),
    });
    expect(malformed.map((m) => m.line)).toEqual([9]);
    expect(counts).toMatchObject({ lines: 13, malformed: 1, names: 7, resolved: 6, unresolved: 1, excluded: 3 });
    expect(counts.excludedByReason).toEqual({ 'special-purpose': 2, 'exclude-file': 1 });
    expect(counts.unresolvedByReason).toEqual({ 'no-address': 1 });

    expect(await index.seal(3)).toEqual({ hosts: 8, batches: 3 });
    const hosts = [...(await index.batch(0)), ...(await index.batch(1)), ...(await index.batch(2))];
    expect(hosts).toEqual(
      [
        { ip: '198.18.1.1', domains: ['a.test', 'b.test'] },
        { ip: '198.18.1.2', domains: ['c.test'] },
        { ip: '198.18.1.3', domains: ['multi.test'] },
        { ip: '198.18.1.4', domains: ['multi.test'] },
        { ip: '198.18.2.0', domains: [] },
        { ip: '198.18.2.1', domains: [] },
        { ip: '198.18.2.2', domains: [] },
        { ip: '198.18.2.3', domains: [] },
      ].map((h) => ({ ...h, reusableLabel: null })),
    );
    expect(await index.isSealed()).toBe(true);
    index.close();

    // Reopened after a crash, the sealed index gives the same batches.
    const reopened = await TargetIndex.open(join(dir, 'index.duckdb'));
    expect(await reopened.counts()).toEqual({ hosts: 8, batches: 3 });
    expect(await reopened.batch(0)).toEqual(hosts.slice(0, 3));
    reopened.close();
  });

  it('with IPv6: A and AAAA records, literals and small prefixes of the families asked for, in one index', async () => {
    const dir = await scratchDir('osfp-ingest6-');
    const file = join(dir, 'targets.txt');
    await writeFile(
      file,
      ['dual.test', 'six.test', 'fd00:18::1:0/126', 'FD00:18::0:9', '::1', '198.18.1.9'].join('\n'),
    );
    const run = async (families: Set<4 | 6>) => {
      const index = await TargetIndex.open(join(dir, `index-${[...families].join('')}.duckdb`));
      const resolver = new NameResolver({ servers: [server], concurrency: 4, timeoutMs: 2000, families });
      const policy = new ExclusionPolicy({ allow: ['198.18.0.0/15', 'fd00:18::/96'] });
      const counts = await ingestTargets({
        file,
        index,
        resolver,
        policy,
        families,
        counts: emptyIngestCounts(),
        onMalformed: () => undefined,
      });
      await index.seal(100);
      const hosts = await index.batch(0);
      index.close();
      return { counts, hosts };
    };
    const both = await run(new Set([4, 6]));
    expect(both.hosts).toEqual(
      [
        { ip: '198.18.1.5', domains: ['dual.test'] },
        { ip: '198.18.1.9', domains: [] },
        { ip: 'fd00:18::5', domains: ['dual.test'] },
        { ip: 'fd00:18::6', domains: ['six.test'] },
        { ip: 'fd00:18::9', domains: [] },
        { ip: 'fd00:18::1:0', domains: [] },
        { ip: 'fd00:18::1:1', domains: [] },
        { ip: 'fd00:18::1:2', domains: [] },
        { ip: 'fd00:18::1:3', domains: [] },
      ].map((h) => ({ ...h, reusableLabel: null })),
    );
    expect(both.counts.excludedByReason).toEqual({ 'special-purpose': 1 }); // ::1
    const v4 = await run(new Set([4]));
    expect(v4.hosts.map((h) => h.ip)).toEqual(['198.18.1.5', '198.18.1.9']);
    expect(v4.counts).toMatchObject({ unresolved: 1, unresolvedByReason: { 'no-address': 1 } }); // six.test has no A
    expect(v4.counts.excludedByReason).toEqual({ 'ip-version': 6 });
    const v6 = await run(new Set([6]));
    expect(v6.hosts.map((h) => h.ip)).toEqual([
      'fd00:18::5',
      'fd00:18::6',
      'fd00:18::9',
      'fd00:18::1:0',
      'fd00:18::1:1',
      'fd00:18::1:2',
      'fd00:18::1:3',
    ]);
  });

  it('counts names whose DNS server never answers as timeouts, not as names without an address', async () => {
    // A server that swallows every query.
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const dir = await scratchDir('osfp-ingest-');
      const file = join(dir, 'targets.txt');
      await writeFile(file, 'a.test\nb.test\nc.test\n');
      const index = await TargetIndex.open(join(dir, 'index.duckdb'));
      const resolver = new NameResolver({
        servers: [`127.0.0.1:${silent.address().port}`],
        concurrency: 4,
        timeoutMs: 200,
        tries: 1,
      });
      const policy = new ExclusionPolicy({ allow: ['198.18.0.0/15'], exclude: [] });
      const counts = await ingestTargets({
        file,
        index,
        resolver,
        policy,
        families: new Set([4]),
        counts: emptyIngestCounts(),
        onMalformed: () => undefined,
      });
      expect(counts).toMatchObject({ names: 3, resolved: 0, unresolved: 3, unresolvedByReason: { timeout: 3 } });
      index.close();
    } finally {
      silent.close();
    }
  });
});
