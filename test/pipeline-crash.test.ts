/**
 * Crash safety (issue 5, item 6), each case against the real lab, prober and
 * store: a worker killed with -9 mid-batch, the coordinator killed with -9
 * then `collect --resume`, and Redis restarted mid-run. Every case must end
 * with a dataset holding every responsive lab host exactly once - over both
 * families (`--ip-version both`: the dual-stack hosts once per address).
 */
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { labTargets, type LabPlan } from '@osfp/lab';
import { needs, scratchDir } from '@osfp/test-support';
import { sharedLab } from './lab-support/shared-lab.ts';
import {
  checkEveryHostOnce,
  expectedResponsive,
  latestRows,
  runIdIn,
  runOsfp,
  startOsfp,
  startRedisIn,
  waitForOutput,
  type Running,
} from './pipeline-helpers.ts';

// Short locks so a dead worker's batch is noticed in seconds, not the default 30 s.
const FAST_LOCKS = { OSFP_LOCK_MS: '4000', OSFP_STALLED_INTERVAL_MS: '2000' };

async function setup(
  count: number,
): Promise<{ plan: LabPlan; dir: string; targets: string; dataDir: string; labArgs: string[] }> {
  const plan = sharedLab();
  if (!plan) throw new Error('no lab');
  const dir = await scratchDir('osfp-crash-');
  const targets = join(dir, 'crash-list.csv');
  await writeFile(targets, `${[...labTargets(count, 'tranco')].join('\n')}\n`);
  const dataDir = join(dir, 'data');
  const labArgs = [
    '--dns-server',
    plan.dnsServer,
    '--allow',
    plan.allowCidr,
    plan.allowCidr6,
    '--ip-version',
    'both',
    '--timeout',
    '3s',
    '--progress',
    'log',
    '--log-interval',
    '500ms',
  ];
  return { plan, dir, targets, dataDir, labArgs };
}

async function expectComplete(targets: string, dataDir: string): Promise<void> {
  const expected = await expectedResponsive(targets, new Set([4, 6]));
  const { rows } = await latestRows(dataDir, 'crash-list');
  expect(rows.length).toBe(expected.size);
  expect(checkEveryHostOnce(rows, expected)).toEqual([]);
}

const joinedAtLeastOne = (text: string) => /"joined":[1-9]/.test(text);
const port = () => 20_000 + Math.floor(Math.random() * 20_000);

describe.skipIf(needs('root', 'netns', 'redis-server', 'dnsmasq'))('pipeline crash safety', () => {
  const started: Running[] = [];
  const redisProcesses: ReturnType<typeof startRedisIn>[] = [];
  afterEach(() => {
    for (const run of started.splice(0)) if (run.child.exitCode === null) run.child.kill('SIGKILL');
    for (const redis of redisProcesses.splice(0)) if (redis.exitCode === null) redis.kill('SIGTERM');
  });

  it('a worker killed with -9 mid-batch: its batch completes on another worker', async () => {
    const { plan, dir, targets, dataDir, labArgs } = await setup(48);
    const redisPort = port();
    redisProcesses.push(startRedisIn(plan.scannerNamespace, { bind: '127.0.0.1', port: redisPort, dir }));
    const url = `redis://127.0.0.1:${redisPort}`;
    const ns = { namespace: plan.scannerNamespace, env: FAST_LOCKS };

    const coordinator = startOsfp(
      [
        'collect',
        '--redis',
        url,
        '--no-local-workers',
        '--targets',
        targets,
        '--data-dir',
        dataDir,
        '--batch-size',
        '8',
        '--label',
        'none',
        '--rate',
        '4',
        ...labArgs,
      ],
      ns,
    );
    started.push(coordinator);
    const doomed = startOsfp(['worker', '--redis', url, '--role', 'probe,label'], ns);
    started.push(doomed);
    await waitForOutput(
      doomed,
      (t) => /"queue":"osfp-probe","job":"[^"]+","attempt":1,"msg":"batch stage started"/.test(t),
      'the first worker to start a probe batch',
    );
    const killedJob = /"queue":"osfp-probe","job":"([^"]+)","attempt":1,"msg":"batch stage started"/.exec(
      doomed.output(),
    )![1]!;
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    expect(doomed.output()).not.toContain(`"job":"${killedJob}","msg":"batch stage done"`);

    const survivor = startOsfp(['worker', '--redis', url], ns);
    started.push(survivor);
    const code = await coordinator.exited;
    expect(code, coordinator.output()).toBe(0);
    expect(survivor.output()).toContain(`"job":"${killedJob}","msg":"batch stage done"`);
    await expectComplete(targets, dataDir);
    survivor.child.kill('SIGTERM');
    await survivor.exited;
  }, 300_000);

  it('the coordinator killed with -9: collect --resume RUN_ID finishes the run', async () => {
    const { plan, targets, dataDir, labArgs } = await setup(64);
    const ns = { namespace: plan.scannerNamespace, env: FAST_LOCKS };
    const first = startOsfp(
      [
        'collect',
        '--targets',
        targets,
        '--data-dir',
        dataDir,
        '--batch-size',
        '8',
        '--max-in-flight',
        '2',
        '--label',
        'none',
        '--rate',
        '6',
        ...labArgs,
      ],
      ns,
    );
    started.push(first);
    await waitForOutput(first, joinedAtLeastOne, 'a first batch written');
    first.child.kill('SIGKILL');
    await first.exited;
    const runId = runIdIn(first.output());
    expect(runId).not.toBeNull();
    expect(first.output()).not.toMatch(/"phase":"done"/);

    const resumed = await runOsfp(['collect', '--resume', runId!, '--data-dir', dataDir, '--progress', 'log'], ns);
    expect(resumed.code, resumed.output).toBe(0);
    expect(resumed.output).toContain('"adopted":true');
    expect(resumed.output).toMatch(/dataset: +crash-list@1/);
    await expectComplete(targets, dataDir);
  }, 300_000);

  it('Redis restarted mid-run: everything reconnects and the run completes', async () => {
    const { plan, dir, targets, dataDir, labArgs } = await setup(64);
    const redisPort = port();
    const redisOptions = { bind: '127.0.0.1', port: redisPort, dir };
    const redis = startRedisIn(plan.scannerNamespace, redisOptions);
    redisProcesses.push(redis);
    const ns = { namespace: plan.scannerNamespace, env: FAST_LOCKS };
    const run = startOsfp(
      [
        'collect',
        '--redis',
        `redis://127.0.0.1:${redisPort}`,
        '--targets',
        targets,
        '--data-dir',
        dataDir,
        '--batch-size',
        '8',
        '--max-in-flight',
        '3',
        '--label',
        'none',
        '--rate',
        '6',
        ...labArgs,
      ],
      ns,
    );
    started.push(run);
    await waitForOutput(run, joinedAtLeastOne, 'a first batch written');
    redis.kill('SIGTERM');
    await once(redis, 'exit');
    await new Promise((r) => setTimeout(r, 2000));
    redisProcesses.push(startRedisIn(plan.scannerNamespace, redisOptions));

    const code = await run.exited;
    expect(code, run.output()).toBe(0);
    await expectComplete(targets, dataDir);
  }, 300_000);
});
