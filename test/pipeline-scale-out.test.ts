/**
 * Scale-out for real (issue 5, item 9): two "machines" (two extra scanner
 * namespaces on the lab LAN, each with its own stack and address) run
 * `osfp worker` against one Redis reachable over the LAN, a pure coordinator
 * (`--no-local-workers`) runs the collection, and the run completes with both
 * machines having worked on it.
 *
 * The machines take different roles (A probes, B labels) so that the run can
 * only complete if both took part: BullMQ hands a job to whichever worker asks
 * first, and on a loaded 2-core machine one of two identical workers can take
 * every batch of a small run, which made "both probed" a timing accident.
 *
 * Issue 12, item 6: the same run also completes in a lab under the internet
 * profile (20-300 ms round trips, loss, duplication, reordering, firewalls),
 * where batches take seconds, not milliseconds, and Nmap meets silent ports.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addScanner, labTargets, type LabPlan } from '@osfp/lab';
import { needs, scratchDir } from '@osfp/test-support';
import { internetLab } from './lab-support/internet-lab.ts';
import { sharedLab } from './lab-support/shared-lab.ts';
import {
  checkEveryHostOnce,
  expectedResponsive,
  latestRows,
  startOsfp,
  startRedisIn,
  waitForOutput,
  type Running,
} from './pipeline-helpers.ts';

describe.skipIf(needs('root', 'netns', 'redis-server', 'dnsmasq'))(
  'scale-out: workers in two scanner namespaces, one Redis',
  () => {
    const running: Running[] = [];
    let redis: ReturnType<typeof startRedisIn> | null = null;
    afterAll(() => {
      for (const run of running) if (run.child.exitCode === null) run.child.kill('SIGKILL');
      if (redis?.exitCode === null) redis.kill('SIGTERM');
    });

    /** One run over 64 lab names: machine A only probes, machine B only labels, the coordinator neither. */
    async function scaleOut(plan: LabPlan, timeout: string): Promise<void> {
      const machineA = await addScanner(11, { prefix: plan.prefix });
      const machineB = await addScanner(12, { prefix: plan.prefix });
      expect(machineA.address).not.toBe(machineB.address);

      const dir = await scratchDir('osfp-scale-');
      const targets = join(dir, 'scale-list.csv');
      await writeFile(targets, `${[...labTargets(64, 'tranco')].join('\n')}\n`);
      const redisPort = 20_000 + Math.floor(Math.random() * 20_000);
      // Redis listens on the coordinator machine's LAN address: the workers reach it across the lab network.
      redis = startRedisIn(plan.scannerNamespace, { bind: plan.scannerAddress, port: redisPort, dir });
      const url = `redis://${plan.scannerAddress}:${redisPort}`;

      const workerA = startOsfp(['worker', '--redis', url, '--role', 'probe'], { namespace: machineA.namespace });
      const workerB = startOsfp(['worker', '--redis', url, '--role', 'label'], { namespace: machineB.namespace });
      running.push(workerA, workerB);
      for (const w of [workerA, workerB])
        await waitForOutput(w, (t) => t.includes('worker ready'), 'a worker connected to Redis across the LAN');
      const dataDir = join(dir, 'data');
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
          '--dns-server',
          plan.dnsServer,
          '--allow',
          plan.allowCidr,
          '--batch-size',
          '4',
          '--label',
          'sample:0.25',
          '--rate',
          '8',
          '--timeout',
          timeout,
          '--progress',
          'log',
        ],
        { namespace: plan.scannerNamespace },
      );
      running.push(coordinator);
      const code = await coordinator.exited;
      expect(code, coordinator.output()).toBe(0);

      const doneBy = (w: Running, queue: string) =>
        (w.output().match(new RegExp(`"queue":"${queue}","job":"[^"]+","msg":"batch stage done"`, 'g')) ?? []).length;
      expect(doneBy(workerA, 'osfp-probe'), workerA.output().slice(-2000)).toBeGreaterThan(0);
      expect(doneBy(workerB, 'osfp-label'), workerB.output().slice(-2000)).toBeGreaterThan(0);
      expect(doneBy(workerA, 'osfp-label') + doneBy(workerB, 'osfp-probe')).toBe(0);

      const { rows } = await latestRows(dataDir, 'scale-list');
      expect(checkEveryHostOnce(rows, await expectedResponsive(targets))).toEqual([]);
      // Sampled labelling: some hosts labelled by Nmap on the workers, the rest skipped by policy.
      expect(rows.some((r) => r.label_status === 'ok')).toBe(true);
      expect(rows.some((r) => r.label_status === 'skipped')).toBe(true);
      // This run's machines and Redis are done; the next run starts its own.
      for (const run of [workerA, workerB]) run.child.kill('SIGTERM');
      redis?.kill('SIGTERM');
    }

    it('completes one run with batches probed on one machine and labelled on the other', async () => {
      const plan = sharedLab();
      expect(plan).not.toBeNull();
      await scaleOut(plan!, '3s');
    }, 300_000);

    it('completes the same run under the internet profile', async () => {
      expect(sharedLab()).not.toBeNull();
      const plan = await internetLab();
      expect(plan.profile?.name).toBe('internet');
      // The collector's default probe deadline: 3 s is short where a lost SYN costs a second.
      await scaleOut(plan, '5s');
    }, 600_000);
  },
);
