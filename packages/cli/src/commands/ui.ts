import { Command, InvalidArgumentError, Option } from 'commander';
import { isRedisUrl, redactRedisUrl } from '@osfp/collector';
import { DEFAULT_PORT, startDashboard } from '@osfp/dashboard';
import { shutdownSignal } from '../shutdown-signal.ts';
import { UsageError } from '../usage-error.ts';
import { dataDirOption } from './data-dir-option.ts';

interface UiOptions {
  port: number;
  host: string;
  token?: string;
  dataDir: string;
  redis?: string;
}

function portNumber(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65_535)
    throw new InvalidArgumentError(`a port is a whole number from 0 to 65535 (0 picks a free one), got "${value}"`);
  return Number(value);
}

export function uiCommand(): Command {
  return new Command('ui')
    .description(
      'Serve the read-only web dashboard: queues (Bull Board), runs with live per-stage counts, datasets and ' +
        'versions (manifest, class histogram, diff, Parquet/CSV downloads) and evaluations (confusion matrix, ' +
        'per-class precision/recall, feature importance, p0f comparison)',
    )
    .addOption(new Option('--port <n>', 'TCP port (0 picks a free one)').argParser(portNumber).default(DEFAULT_PORT))
    .addOption(
      new Option('--host <address>', 'address to serve on; anything but loopback needs --token').default('127.0.0.1'),
    )
    .addOption(
      new Option('--token <token>', `access token (at least 16 characters) every request must carry`).env(
        'OSFP_UI_TOKEN',
      ),
    )
    .addOption(dataDirOption())
    .addOption(
      new Option(
        '--redis <url>',
        "Redis of the runs and queues (default: the data directory's embedded Redis while a collect runs)",
      ).env('REDIS_URL'),
    )
    .action(async (opts: UiOptions) => {
      if (opts.redis !== undefined && !isRedisUrl(opts.redis)) {
        throw new UsageError(
          `--redis "${redactRedisUrl(opts.redis)}" is not a redis://host:port, rediss://host:port or unix:///path URL`,
        );
      }
      const dashboard = await startDashboard({
        dataDir: opts.dataDir,
        redis: opts.redis,
        host: opts.host,
        port: opts.port,
        token: opts.token,
      });
      process.stdout.write(
        `osfp ui: serving ${dashboard.url} (read-only) for ${opts.dataDir}` +
          `${opts.redis ? ` and ${redactRedisUrl(opts.redis)}` : ''}` +
          `${opts.token ? '; open it once with ?token=YOUR_TOKEN (a cookie keeps it)' : ''}; Ctrl-C stops\n`,
      );
      await new Promise<void>((resolve) => {
        const shutdown = shutdownSignal(() => {
          shutdown.dispose();
          resolve();
        });
      });
      await dashboard.close();
    });
}
