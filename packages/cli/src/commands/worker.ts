import { Command, Option } from 'commander';
import { destination, pino } from 'pino';
import {
  WORKER_OPTION_KEYS,
  WorkerOptionsSchema,
  realStageBodies,
  redactRedisUrl,
  resolveLabelSources,
  startWorkerNode,
  type WorkerOptions,
} from '@osfp/collector';
import { loadOptions } from '../option-sources.ts';
import { shutdownSignal } from '../shutdown-signal.ts';

export function workerCommand(): Command {
  return new Command('worker')
    .description('Run a worker that takes probe and label jobs from Redis (scale out by starting more)')
    .option('--redis <url>', 'Redis URL of the run (redis://[:password@]host:port, rediss:// for TLS; env REDIS_URL)')
    .addOption(new Option('--role <roles>', 'probe, label or probe,label (default probe,label)'))
    .option('--concurrency <n>', "probes in flight in this worker (default: the run's --concurrency)")
    .option(
      '--batches <n>',
      'batches worked on at once per role (default 1; the label role takes at least 2, sharing its Nmap processes)',
    )
    .option('--label-processes <n>', "Nmap processes in this worker (default: the run's --label-processes)")
    .option(
      '--label-sources <list>',
      "this machine's addresses for Nmap to send from, one per process, comma-separated (default: Nmap's choice)",
    )
    .option('--config <file>', 'JSON file of options (camelCase names)')
    .action(async (_opts: unknown, command: Command) => {
      const options: WorkerOptions = await loadOptions(command, WorkerOptionsSchema, WORKER_OPTION_KEYS);
      const labelSources = resolveLabelSources(options.labelSources);
      const logger = pino({ level: process.env['OSFP_LOG_LEVEL'] ?? 'info' }, destination(2));
      const node = startWorkerNode({
        redisUrl: options.redis,
        roles: options.role,
        stages: realStageBodies(),
        logger,
        batches: options.batches,
        concurrency: options.concurrency,
        labelProcesses: options.labelProcesses,
        labelSources,
      });
      await node.ready();
      logger.info(
        { redis: redactRedisUrl(options.redis), roles: options.role },
        'worker ready; Ctrl-C finishes the current batches and stops',
      );
      await new Promise<void>((resolve) => {
        const shutdown = shutdownSignal((signal) => {
          logger.warn(`${signal}: finishing current batches`);
          shutdown.dispose();
          resolve();
        });
      });
      await node.close();
      logger.info('worker stopped');
    });
}
