import { Command, Option } from 'commander';
import { destination, pino } from 'pino';
import { WORKER_OPTION_KEYS, WorkerOptionsSchema, type WorkerOptions } from '../../config/worker-options.ts';
import { optionsFromCli, optionsFromEnv, optionsFromFile, validateOptions } from '../../config/option-sources.ts';
import { redactRedisUrl } from '../../redis/redis-connection.ts';
import { shutdownSignal } from '../../run/shutdown-signal.ts';
import { realStageBodies } from '../../worker/real-stage-bodies.ts';
import { startWorkerNode } from '../../worker/worker-node.ts';
import { UsageError } from '../usage-error.ts';

export function workerCommand(): Command {
  return new Command('worker')
    .description('Run a worker that takes probe and label jobs from Redis (scale out by starting more)')
    .option('--redis <url>', 'Redis URL of the run (redis://[:password@]host:port, rediss:// for TLS; env REDIS_URL)')
    .addOption(new Option('--role <roles>', 'probe, label or probe,label (default probe,label)'))
    .option('--concurrency <n>', "probes in flight in this worker (default: the run's --concurrency)")
    .option('--batches <n>', 'batches worked on at once per role (default 1)')
    .option('--label-processes <n>', "Nmap processes in this worker (default: the run's --label-processes)")
    .option('--config <file>', 'JSON file of options (camelCase names)')
    .action(async (_opts: unknown, command: Command) => {
      let options: WorkerOptions;
      try {
        const fromFile = await optionsFromFile(command.opts<{ config?: string }>().config);
        options = validateOptions(WorkerOptionsSchema, [fromFile, optionsFromEnv(WORKER_OPTION_KEYS), optionsFromCli(command)]);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const logger = pino({ level: process.env['OSFP_LOG_LEVEL'] ?? 'info' }, destination(2));
      const node = startWorkerNode({
        redisUrl: options.redis, roles: options.role, stages: realStageBodies(), logger,
        batches: options.batches, concurrency: options.concurrency, labelProcesses: options.labelProcesses,
      });
      await node.ready();
      logger.info({ redis: redactRedisUrl(options.redis), roles: options.role }, 'worker ready; Ctrl-C finishes the current batches and stops');
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
