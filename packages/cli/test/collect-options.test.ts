import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COLLECT_OPTION_KEYS, CollectOptionsSchema, datasetNameFor, userAgentFor } from '@osfp/collector';
import { parseDuration } from '@osfp/collector';
import { envName, optionsFromCli, optionsFromEnv, optionsFromFile, validateOptions } from '../src/option-sources.ts';
import { WorkerOptionsSchema } from '@osfp/collector';
import { resumedOptions } from '@osfp/collector';
import { scratchDir } from '@osfp/test-support';

describe('collect options', () => {
  it('has sensible defaults', () => {
    const o = CollectOptionsSchema.parse({ targets: 't.csv' });
    expect(o).toMatchObject({
      dataDir: './osfp-data',
      ports: [80],
      batchSize: 256,
      timeout: 5000,
      rate: 0,
      label: { mode: 'all' },
      localWorkers: true,
      maxInFlight: 8,
    });
  });

  it('coerces strings from the environment and lists from commas', () => {
    const env = optionsFromEnv(COLLECT_OPTION_KEYS, {
      OSFP_BATCH_SIZE: '512',
      OSFP_PORTS: '80, 443',
      OSFP_LABEL: 'sample:0.25',
      OSFP_LABEL_MAX_AGE: '30d',
      REDIS_URL: 'redis://:pw@r:6379',
      OSFP_LOCAL_WORKERS: 'false',
    });
    expect(envName('labelMaxAge')).toBe('OSFP_LABEL_MAX_AGE');
    const o = validateOptions(CollectOptionsSchema, [{ targets: 't' }, env]);
    expect(o).toMatchObject({
      batchSize: 512,
      ports: [80, 443],
      label: { mode: 'sample', fraction: 0.25 },
      labelMaxAge: 30 * 86_400_000,
      redis: 'redis://:pw@r:6379',
      localWorkers: false,
    });
  });

  it('lists every bad option with its flag and variable', () => {
    let message = '';
    try {
      validateOptions(CollectOptionsSchema, [
        { batchSize: '0', ports: '80,99999', label: 'some', timeout: 'soon', redis: 'http://x', bogus: 1 },
      ]);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('--batch-size (or OSFP_BATCH_SIZE): Too small');
    expect(message).toContain('--ports (item 2) (or OSFP_PORTS)');
    expect(message).toContain('--timeout (or OSFP_TIMEOUT): "soon" is not a duration');
    expect(message).toContain('--label (or OSFP_LABEL): "some" is not all, none or sample:FRACTION');
    expect(message).toContain('--redis (or OSFP_REDIS): expected a redis://');
    expect(message).toContain('Unrecognized key: "bogus"');
    expect(() => validateOptions(CollectOptionsSchema, [{}])).toThrow(/--targets FILE.*--resume RUN_ID/);
    expect(() => validateOptions(CollectOptionsSchema, [{ targets: 't', bogus: 1 }])).toThrow(/bogus/);
  });

  it('ranks sources: default < config file < environment < command line', async () => {
    const dir = await scratchDir('osfp-opts-');
    const file = join(dir, 'osfp.json');
    await writeFile(file, JSON.stringify({ targets: 'file.csv', batchSize: 100, rate: 5, ports: [8080] }));
    const command = new Command()
      .option('--batch-size <n>')
      .option('--rate <n>', 'rate', '1')
      .option('--config <f>')
      .exitOverride();
    command.parse(['--batch-size', '300', '--config', file], { from: 'user' });
    const cli = optionsFromCli(command);
    expect(cli).toEqual({ batchSize: '300' }); // commander defaults and --config itself are not "from the command line"
    const o = validateOptions(CollectOptionsSchema, [
      await optionsFromFile(file),
      optionsFromEnv(COLLECT_OPTION_KEYS, { OSFP_RATE: '7' }),
      cli,
    ]);
    expect(o).toMatchObject({ targets: 'file.csv', batchSize: 300, rate: 7, ports: [8080] });
    await writeFile(file, '{not json');
    await expect(optionsFromFile(file)).rejects.toThrow(/osfp.json is not valid JSON/);
    await expect(optionsFromFile(join(dir, 'missing.json'))).rejects.toThrow(/cannot be read/);
  });

  it('resuming keeps the run-defining options and takes the session ones', () => {
    const persisted = CollectOptionsSchema.parse({ targets: 'a.csv', batchSize: 64, rate: 10 });
    const session = CollectOptionsSchema.parse({ resume: 'R1', batchSize: 999, redis: 'redis://x:1', maxInFlight: 3 });
    expect(resumedOptions(persisted, session)).toMatchObject({
      targets: 'a.csv',
      batchSize: 64,
      rate: 10,
      resume: 'R1',
      redis: 'redis://x:1',
      maxInFlight: 3,
    });
  });

  it('names datasets after the targets file and builds an honest User-Agent', () => {
    expect(datasetNameFor('/x/lab-tranco.csv')).toBe('lab-tranco');
    expect(datasetNameFor('top 1m.txt')).toBe('top-1m');
    expect(userAgentFor('https://example.org/osfp')).toBe(
      'osfp/0.1 (passive OS fingerprinting research; +https://example.org/osfp)',
    );
    expect(userAgentFor(undefined)).toMatch(/^osfp\/0\.1 /);
  });

  it('parses durations; a bare number is seconds, as in Nmap', () => {
    expect([
      parseDuration('500ms'),
      parseDuration('5s'),
      parseDuration('10m'),
      parseDuration('2h'),
      parseDuration('30d'),
      parseDuration('5'),
      parseDuration('0.5'),
      parseDuration(5),
    ]).toEqual([500, 5000, 600_000, 7_200_000, 2_592_000_000, 5000, 500, 5000]);
    expect(parseDuration('soon')).toBeNull();
    // --timeout 5 is five seconds (it was five milliseconds: every probe ended as a timeout).
    expect(CollectOptionsSchema.parse({ targets: 't', timeout: '5' }).timeout).toBe(5000);
    expect(CollectOptionsSchema.parse({ targets: 't', timeout: 5 }).timeout).toBe(5000);
    expect(() => CollectOptionsSchema.parse({ targets: 't', timeout: '5ms' })).toThrow(
      /out of range: from 100ms to 1h/,
    );
    expect(() => CollectOptionsSchema.parse({ targets: 't', dnsTimeout: '0' })).toThrow(/out of range/);
  });

  it('refuses names that would become bad paths, with one rule for datasets and run ids', () => {
    for (const [key, value] of [
      ['dataset', 'a..b'],
      ['dataset', '../x'],
      ['dataset', '.hidden'],
      ['dataset', 'a/b'],
      ['resume', '..'],
      ['resume', 'run/1'],
    ] as const) {
      expect(() => validateOptions(CollectOptionsSchema, [{ targets: 't', [key]: value }]), `${key} ${value}`).toThrow(
        /is not a valid (dataset name|run id): use 1-100 letters, digits/,
      );
    }
  });
});

describe('worker options', () => {
  it('validates roles and needs a Redis URL', () => {
    expect(WorkerOptionsSchema.parse({ redis: 'rediss://:p@h:6380', role: 'label' })).toMatchObject({
      role: ['label'],
      batches: 1,
    });
    expect(() => WorkerOptionsSchema.parse({ redis: 'redis://h', role: 'probe,scan' })).toThrow(/probe or label/);
    expect(() => WorkerOptionsSchema.parse({})).toThrow();
  });
});
