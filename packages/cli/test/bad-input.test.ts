/**
 * No user mistake ends in a stack trace (issue 14, item 2): every command
 * and option with a bad value, run through `runCli` as the user would type
 * it, must exit non-zero with one clear message naming the input, and
 * nothing else: no stack, no "unexpected error". Names that become paths
 * are refused before anything is written.
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { openStore, type DatasetRow } from '@osfp/dataset';
import { PROVENANCE, row, run } from '@osfp/dataset/testing';
import { needs, scratchDir } from '@osfp/test-support';
import { runOsfp } from './support/run-osfp.ts';

interface Case {
  readonly args: (f: Fixture) => string[];
  /** What the message must say (it names the bad input and, where it helps, what to do). */
  readonly says: RegExp;
  /** Paths (from the fixture) that must not exist afterwards: nothing was written. */
  readonly writesNothing?: (f: Fixture) => string[];
}

interface Fixture {
  readonly dir: string;
  /** A data directory with dataset "web" (v1) and run "r1". */
  readonly data: string;
  /** A data directory path that does not exist yet. */
  readonly fresh: string;
  readonly targets: string;
  readonly file: string;
  readonly badJson: string;
  readonly unknownKey: string;
  readonly notCapture: string;
  readonly taxonomy: string;
}

const CASES: Record<string, Case> = {
  // collect
  'collect without targets': { args: () => ['collect'], says: /--targets FILE.*--resume RUN_ID/ },
  'collect --targets missing': {
    args: (f) => ['collect', '--targets', join(f.dir, 'missing.csv'), '--data-dir', f.fresh],
    says: /targets file .*missing\.csv cannot be read: it does not exist/,
    writesNothing: (f) => [f.fresh],
  },
  'collect --targets missing, on a terminal (no log file left behind)': {
    args: (f) => ['collect', '--progress', 'tty', '--targets', join(f.dir, 'missing.csv'), '--data-dir', f.fresh],
    says: /targets file .*missing\.csv cannot be read: it does not exist/,
    writesNothing: (f) => [f.fresh],
  },
  'collect --targets a directory': {
    args: (f) => ['collect', '--targets', f.dir, '--data-dir', f.fresh],
    says: /targets file .* is a directory, not a file/,
    writesNothing: (f) => [f.fresh],
  },
  'collect --dataset a..b': {
    args: (f) => ['collect', '--targets', f.targets, '--dataset', 'a..b', '--data-dir', f.fresh],
    says: /--dataset.*"a\.\.b" is not a valid dataset name/,
    writesNothing: (f) => [f.fresh],
  },
  'collect --dataset ../x': {
    args: (f) => ['collect', '--targets', f.targets, '--dataset', '../x'],
    says: /"\.\.\/x" is not a valid dataset name/,
  },
  'collect --resume ../x': {
    args: (f) => ['collect', '--resume', '../x', '--data-dir', f.fresh],
    says: /--resume.*"\.\.\/x" is not a valid run id/,
    writesNothing: (f) => [f.fresh],
  },
  'collect --resume an unknown run': {
    args: (f) => ['collect', '--resume', '20260101T000000Z-abcdef', '--data-dir', f.fresh],
    says: /no run 20260101T000000Z-abcdef to resume/,
    writesNothing: (f) => [f.fresh],
  },
  'collect --timeout soon': {
    args: (f) => ['collect', '--targets', f.targets, '--timeout', 'soon'],
    says: /--timeout.*"soon" is not a duration.*bare number is seconds/,
  },
  'collect --timeout 5ms': {
    args: (f) => ['collect', '--targets', f.targets, '--timeout', '5ms'],
    says: /--timeout.*out of range/,
  },
  'collect --label-max-age 0': {
    args: (f) => ['collect', '--targets', f.targets, '--label-max-age', '0'],
    says: /--label-max-age.*out of range/,
  },
  'collect --ports 0,x': {
    args: (f) => ['collect', '--targets', f.targets, '--ports', '0,x'],
    says: /--ports \(item 1\)/,
  },
  'collect --batch-size 0': {
    args: (f) => ['collect', '--targets', f.targets, '--batch-size', '0'],
    says: /--batch-size.*too small/i,
  },
  'collect --batch-size many': {
    args: (f) => ['collect', '--targets', f.targets, '--batch-size', 'many'],
    says: /--batch-size.*number/i,
  },
  'collect --rate -1': { args: (f) => ['collect', '--targets', f.targets, '--rate', '-1'], says: /--rate.*too small/i },
  'collect --rate 0.5': {
    args: (f) => ['collect', '--targets', f.targets, '--rate', '0.5'],
    says: /at least 1 probe\/s/,
  },
  'collect --contact nope': {
    args: (f) => ['collect', '--targets', f.targets, '--contact', 'nope'],
    says: /--contact.*URL/,
  },
  'collect --label maybe': {
    args: (f) => ['collect', '--targets', f.targets, '--label', 'maybe'],
    says: /--label.*all, none or sample:FRACTION/,
  },
  'collect --label sample:2': {
    args: (f) => ['collect', '--targets', f.targets, '--label', 'sample:2'],
    says: /sample:FRACTION/,
  },
  'collect --redis http://x': {
    args: (f) => ['collect', '--targets', f.targets, '--redis', 'http://x'],
    says: /--redis.*redis:\/\/host:port/,
  },
  'collect --dns-server nope': {
    args: (f) => ['collect', '--targets', f.targets, '--dns-server', 'nope'],
    says: /--dns-server.*IPv4 address/,
  },
  'collect --max-in-flight 0': {
    args: (f) => ['collect', '--targets', f.targets, '--max-in-flight', '0'],
    says: /--max-in-flight/,
  },
  'collect --label-processes 100': {
    args: (f) => ['collect', '--targets', f.targets, '--label-processes', '100'],
    says: /--label-processes.*too big/i,
  },
  'collect --label-sources eth0': {
    args: (f) => ['collect', '--targets', f.targets, '--label-sources', 'eth0'],
    says: /--label-sources.*expected an IPv4 or IPv6 address/,
  },
  'collect --label-sources an address this machine lacks': {
    args: (f) => ['collect', '--targets', f.targets, '--label-sources', '198.18.0.199'],
    says: /--label-sources: 198\.18\.0\.199 is not an address of this machine.*ip addr/,
  },
  'collect --progress fancy': {
    args: (f) => ['collect', '--targets', f.targets, '--progress', 'fancy'],
    says: /argument 'fancy' is invalid.*auto, tty, log/,
  },
  'collect --config missing': {
    args: (f) => ['collect', '--config', join(f.dir, 'nope.json')],
    says: /config file .*nope\.json cannot be read/,
  },
  'collect --config bad JSON': { args: (f) => ['collect', '--config', f.badJson], says: /is not valid JSON/ },
  'collect --config unknown key': {
    args: (f) => ['collect', '--config', f.unknownKey],
    says: /Unrecognized key: "bogus"/,
  },
  'collect --exclude missing': {
    args: (f) => ['collect', '--targets', f.targets, '--exclude', join(f.dir, 'nope.txt'), '--data-dir', f.fresh],
    says: /exclude file .*nope\.txt cannot be read: it does not exist/,
    writesNothing: (f) => [f.fresh],
  },
  'collect --allow not-a-cidr': {
    args: (f) => ['collect', '--targets', f.targets, '--allow', 'not-a-cidr', '--data-dir', f.fresh],
    says: /--allow \(item 1\).*expected an IPv4\/IPv6 address or CIDR block/,
    writesNothing: (f) => [f.fresh],
  },
  'collect --data-dir a file': {
    args: (f) => ['collect', '--targets', f.targets, '--data-dir', f.file],
    says: /--data-dir .* is not a directory/,
  },
  'collect --data-dir under a file': {
    args: (f) => ['collect', '--targets', f.targets, '--data-dir', join(f.file, 'sub')],
    says: /--data-dir .* cannot be created: .*a-file\.txt is not a directory/,
  },
  'collect --redis unreachable': {
    args: (f) => ['collect', '--targets', f.targets, '--redis', 'redis://127.0.0.1:1', '--data-dir', f.fresh],
    says: /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/,
  },
  'collect --lab not up': {
    args: (f) => ['collect', '--targets', f.targets, '--lab', 'zz9'],
    says: /the lab "zz9" is not up/,
  },
  'collect --lab bad prefix': {
    args: (f) => ['collect', '--targets', f.targets, '--lab', 'Bad!'],
    says: /lab prefix "Bad!" is invalid/,
  },

  // worker
  'worker without --redis': { args: () => ['worker'], says: /--redis URL/ },
  'worker --redis http://x': { args: () => ['worker', '--redis', 'http://x'], says: /--redis.*redis:\/\/host:port/ },
  'worker --role scan': { args: () => ['worker', '--redis', 'redis://h:1', '--role', 'scan'], says: /probe or label/ },
  'worker --batches 0': { args: () => ['worker', '--redis', 'redis://h:1', '--batches', '0'], says: /--batches/ },
  'worker --label-sources an address this machine lacks': {
    args: () => ['worker', '--redis', 'redis://h:1', '--label-sources', '198.18.0.199'],
    says: /--label-sources: 198\.18\.0\.199 is not an address of this machine/,
  },

  // dataset
  'dataset ls --data-dir a file': { args: (f) => ['dataset', 'ls', '--data-dir', f.file], says: /is not a directory/ },
  'dataset show a bad ref': {
    args: (f) => ['dataset', 'show', 'web@x', '--data-dir', f.data],
    says: /"web@x" is not a valid version reference/,
  },
  'dataset show a bad name': {
    args: (f) => ['dataset', 'show', '../web', '--data-dir', f.data],
    says: /not a valid dataset name/,
  },
  'dataset show unknown': {
    args: (f) => ['dataset', 'show', 'nope', '--data-dir', f.data],
    says: /unknown dataset "nope".*known datasets: web/,
  },
  'dataset show unknown version': {
    args: (f) => ['dataset', 'show', 'web@9', '--data-dir', f.data],
    says: /has no version 9; its versions: 1/,
  },
  'dataset show --data-dir missing': {
    args: (f) => ['dataset', 'show', 'web', '--data-dir', f.fresh],
    says: /unknown dataset "web"/,
  },
  'dataset diff one ref': {
    args: (f) => ['dataset', 'diff', 'web@1', '--data-dir', f.data],
    says: /missing required argument 'b'/,
  },
  'dataset export --format xml': {
    args: (f) => ['dataset', 'export', 'web', '--format', 'xml', '--out', join(f.dir, 'x'), '--data-dir', f.data],
    says: /argument 'xml' is invalid/,
  },
  'dataset export without --out': {
    args: (f) => ['dataset', 'export', 'web', '--format', 'csv', '--data-dir', f.data],
    says: /--out <path>' not specified/,
  },
  'dataset export --out exists': {
    args: (f) => ['dataset', 'export', 'web', '--format', 'csv', '--out', f.file, '--data-dir', f.data],
    says: /already exists/,
  },
  'dataset export --out in a missing directory': {
    args: (f) => [
      'dataset',
      'export',
      'web',
      '--format',
      'csv',
      '--out',
      join(f.dir, 'no', 'such', 'x.csv'),
      '--data-dir',
      f.data,
    ],
    says: /--out .*: its directory .* does not exist/,
  },
  'dataset export --out under a file': {
    args: (f) => [
      'dataset',
      'export',
      'web',
      '--format',
      'parquet',
      '--out',
      join(f.file, 'x.parquet'),
      '--data-dir',
      f.data,
    ],
    says: /--out .* is not a directory/,
  },
  'dataset verify unknown': {
    args: (f) => ['dataset', 'verify', 'nope@1', '--data-dir', f.data],
    says: /unknown dataset "nope"/,
  },
  'dataset build a bad name': {
    args: (f) => ['dataset', 'build', 'a..b', '--from', 'r1', '--data-dir', f.data],
    says: /"a\.\.b" is not a valid dataset name/,
  },
  'dataset build a bad run id': {
    args: (f) => ['dataset', 'build', 'web', '--from', '../r1', '--data-dir', f.data],
    says: /"\.\.\/r1" is not a valid run id/,
  },
  'dataset build an unknown run': {
    args: (f) => ['dataset', 'build', 'web', '--from', 'r9', '--data-dir', f.data],
    says: /unknown run\(s\) r9; runs in this store: r1/,
  },
  'dataset build in a data dir without a store': {
    args: (f) => ['dataset', 'build', 'web', '--from', 'r1', '--data-dir', f.fresh],
    says: /no store in .*: nothing was collected there/,
    writesNothing: (f) => [f.fresh],
  },
  'dataset relabel --taxonomy missing': {
    args: (f) => ['dataset', 'relabel', 'web@1', '--taxonomy', join(f.dir, 'nope.json'), '--data-dir', f.data],
    says: /--taxonomy .*nope\.json: cannot read it/,
  },
  'dataset relabel --taxonomy bad': {
    args: (f) => ['dataset', 'relabel', 'web@1', '--taxonomy', f.taxonomy, '--data-dir', f.data],
    says: /--taxonomy/,
  },
  'dataset evaluate --seed x': {
    args: (f) => ['dataset', 'evaluate', 'web', '--seed', 'x', '--data-dir', f.data],
    says: /--seed must be an integer/,
  },
  'dataset evaluate --test-fraction 2': {
    args: (f) => ['dataset', 'evaluate', 'web', '--test-fraction', '2', '--data-dir', f.data],
    says: /between 0 and 1/,
  },
  'dataset evaluate --trees 0': {
    args: (f) => ['dataset', 'evaluate', 'web', '--trees', '0', '--data-dir', f.data],
    says: /--trees must be an integer >= 1/,
  },
  'dataset evaluate --p0f-db missing': {
    args: (f) => ['dataset', 'evaluate', 'web', '--p0f-db', join(f.dir, 'p0f.fp'), '--data-dir', f.data],
    says: /p0f\.fp.*--no-p0f/,
  },
  'dataset evaluate --truth missing': {
    args: (f) => ['dataset', 'evaluate', 'web', '--no-p0f', '--truth', join(f.dir, 'truth.csv'), '--data-dir', f.data],
    says: /--truth .*truth\.csv: cannot read it .*pnpm lab truth --out FILE/,
    writesNothing: (f) => [join(f.data, 'datasets', 'web', 'v1', 'evaluation')],
  },
  'dataset evaluate --truth not a truth file': {
    args: (f) => ['dataset', 'evaluate', 'web', '--no-p0f', '--truth', f.targets, '--data-dir', f.data],
    says: /--truth .*targets\.csv: its header is "198\.18\.0\.1", not a lab truth file \(columns ip, fingerprint, class first\)/,
    writesNothing: (f) => [join(f.data, 'datasets', 'web', 'v1', 'evaluation')],
  },
  'dataset evaluate unknown': {
    args: (f) => ['dataset', 'evaluate', 'nope', '--no-p0f', '--data-dir', f.data],
    says: /unknown dataset "nope"/,
  },

  // features, import-pcap
  'features missing file': { args: (f) => ['features', join(f.dir, 'nope.pcap')], says: /nope\.pcap/ },
  'features a directory': { args: (f) => ['features', f.dir], says: /is a directory/ },
  'features not a capture': { args: (f) => ['features', f.notCapture], says: /not a pcap or pcapng/ },
  'features --format xml': {
    args: (f) => ['features', f.notCapture, '--format', 'xml'],
    says: /argument 'xml' is invalid/,
  },
  'import-pcap missing file': {
    args: (f) => ['import-pcap', join(f.dir, 'nope.pcapng'), '--dataset', 'imp', '--data-dir', f.fresh],
    says: /nope\.pcapng/,
    writesNothing: (f) => [f.fresh],
  },
  'import-pcap a directory': {
    args: (f) => ['import-pcap', f.dir, '--dataset', 'imp', '--data-dir', f.fresh],
    says: /is a directory/,
    writesNothing: (f) => [f.fresh],
  },
  'import-pcap --dataset bad': {
    args: (f) => ['import-pcap', f.notCapture, '--dataset', '.x', '--data-dir', f.fresh],
    says: /"\.x" is not a valid dataset name/,
    writesNothing: (f) => [f.fresh],
  },
  'import-pcap --label-pattern (': {
    args: (f) => ['import-pcap', f.notCapture, '--dataset', 'imp', '--label-pattern', '(', '--data-dir', f.fresh],
    says: /--label-pattern/,
    writesNothing: (f) => [f.fresh],
  },
  'import-pcap not a capture': {
    args: (f) => ['import-pcap', f.notCapture, '--dataset', 'imp', '--data-dir', f.fresh],
    says: /not a pcap or pcapng/,
    writesNothing: (f) => [f.fresh],
  },
  'import-pcap without --dataset': {
    args: (f) => ['import-pcap', f.notCapture],
    says: /--dataset <name>' not specified/,
  },

  // lab (no root needed for these)
  'lab targets --count x': {
    args: () => ['lab', 'targets', '--count', 'x'],
    says: /--count "x" must be a whole number/,
  },
  'lab targets --format zz': {
    args: () => ['lab', 'targets', '--count', '1', '--format', 'zz'],
    says: /argument 'zz' is invalid/,
  },
  'lab targets --out in a missing directory': {
    args: (f) => ['lab', 'targets', '--count', '1', '--out', join(f.dir, 'no', 'x.csv')],
    says: /--out .*cannot write/,
  },
  'lab status --prefix bad': {
    args: () => ['lab', 'status', '--prefix', 'Bad!'],
    says: /lab prefix "Bad!" is invalid/,
  },

  // bench, ui, unknown commands
  'bench --only nope': { args: () => ['bench', '--only', 'nope'], says: /no benchmark named "nope"/ },
  'ui --port 70000': { args: () => ['ui', '--port', '70000'], says: /a port is a whole number from 0 to 65535/ },
  'ui --host 0.0.0.0 without a token': {
    args: (f) => ['ui', '--host', '0.0.0.0', '--data-dir', f.data],
    says: /--host 0\.0\.0\.0 .*--token/,
  },
  'ui --token short': { args: (f) => ['ui', '--token', 'abc', '--data-dir', f.data], says: /--token is too short/ },
  'ui --data-dir missing': {
    args: (f) => ['ui', '--data-dir', f.fresh, '--port', '0'],
    says: /--data-dir .* does not exist/,
  },
  'ui --data-dir a file': {
    args: (f) => ['ui', '--data-dir', f.file, '--port', '0'],
    says: /--data-dir .* is not a directory/,
  },
  'ui --redis http://x': {
    args: (f) => ['ui', '--redis', 'http://x', '--data-dir', f.data],
    says: /--redis .* is not a redis:\/\/host:port/,
  },
  'an unknown command': { args: () => ['nosuch'], says: /unknown command 'nosuch'/ },
  'an unknown option': { args: () => ['dataset', 'ls', '--bogus'], says: /unknown option '--bogus'/ },
};

describe.skipIf(needs('redis-server'))('every bad invocation ends in one clear message, never a stack', () => {
  let f: Fixture;

  beforeAll(async () => {
    const dir = await scratchDir('osfp-bad-input-');
    const data = join(dir, 'data');
    const store = await openStore(data);
    await store.registerRun({ ...run('r1'), provenance: PROVENANCE });
    const rows: DatasetRow[] = Array.from({ length: 6 }, (_, i) => row('r1', i));
    await store.writeBatch('r1', 'b1', rows);
    await store.buildVersion('web', { runs: ['r1'] });
    await store.close();
    await mkdir(join(dir, 'sub'));
    f = {
      dir,
      data,
      fresh: join(dir, 'fresh-data'),
      targets: join(dir, 'targets.csv'),
      file: join(dir, 'a-file.txt'),
      badJson: join(dir, 'bad.json'),
      unknownKey: join(dir, 'unknown.json'),
      notCapture: join(dir, 'notes.txt'),
      taxonomy: join(dir, 'taxonomy.json'),
    };
    await writeFile(f.targets, '198.18.0.1\n');
    await writeFile(f.file, 'not a directory\n');
    await writeFile(f.badJson, '{not json');
    await writeFile(f.unknownKey, JSON.stringify({ targets: f.targets, bogus: 1 }));
    await writeFile(f.notCapture, 'these are not packets, just words in a text file that is long enough\n');
    await writeFile(f.taxonomy, JSON.stringify({ version: 'x', rules: 'nope' }));
  });

  for (const [index, [name, c]] of Object.entries(CASES).entries()) {
    it(
      name,
      async () => {
        // Each case its own not-yet-existing data directory: one case's mistake must not hide another's.
        const mine = { ...f, fresh: join(f.dir, `fresh-${index}`) };
        const args = c.args(mine);
        const { code, out, err } = await runOsfp(...args);
        const said = `${err}${out}`;
        expect(code, `osfp ${args.join(' ')}\n${said}`).not.toBe(0);
        expect(said, `osfp ${args.join(' ')}`).toMatch(c.says);
        expect(said).not.toMatch(/\n\s+at .+[:(]\d+/);
        expect(said).not.toMatch(/unexpected error/);
        for (const path of c.writesNothing?.(mine) ?? []) {
          const entries = await readdir(path).catch(() => null);
          expect(entries, `${path} was written`).toBeNull();
        }
      },
      30_000,
    );
  }
});

describe('a benchmark knob out of range', () => {
  it.each([
    ['OSFP_BENCH_CAPTURE_CHUNK', '10'],
    ['OSFP_BENCH_CAPTURE_TARGETS', 'many'],
  ])('%s=%s is refused, naming the variable, before any lab comes up', async (name, value) => {
    vi.stubEnv(name, value);
    try {
      const started = performance.now();
      const { code, out, err } = await runOsfp('bench', '--only', 'capture');
      expect(code).toBe(1);
      expect(`${err}${out}`).toMatch(
        new RegExp(`capture failed: ${name} must be an integer in \\d+\\.\\.\\d+, got ${value}`),
      );
      // A lab takes half a minute to come up: refused within seconds means none did.
      expect(performance.now() - started).toBeLessThan(10_000);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

/** As root every directory is readable: these run the CLI as an unprivileged user (setpriv), in a process of its own. */
describe.skipIf(needs('root'))('a data directory this user cannot read or write', () => {
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const asNobody = (...args: string[]) =>
    spawnSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', main, ...args],
      { encoding: 'utf8', env: { ...process.env, HOME: tmpdir() }, timeout: 60_000 },
    );

  it.each([
    [['dataset', 'ls'], /cannot scandir .*: permission denied \(EACCES\)/],
    [['ui', '--port', '0'], /--data-dir .* cannot be read by this user/],
    [['collect', '--targets', '/dev/null'], /--data-dir .* is not writable by this user/],
  ])(
    'osfp %j',
    async (args, says) => {
      const dir = await scratchDir('osfp-locked-');
      await mkdir(join(dir, 'datasets'));
      await chmod(dir, 0o700);
      const result = asNobody(...args, '--data-dir', dir);
      const said = `${result.stderr}${result.stdout}`;
      expect(result.status, said).not.toBe(0);
      expect(said).toMatch(says);
      expect(said).not.toMatch(/\n\s+at .+[:(]\d+/);
    },
    60_000,
  );
});
