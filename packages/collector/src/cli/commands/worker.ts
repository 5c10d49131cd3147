import { Command } from 'commander';
import { notImplemented } from '../usage-error.ts';

export function workerCommand(): Command {
  return new Command('worker')
    .description('Run a worker that takes probe and label jobs from Redis (scale out by starting more)')
    .option('--redis <url>', 'Redis URL of the run (redis://, rediss://)')
    .action(() => notImplemented('osfp worker'));
}
