import { Command, Option } from 'commander';
import {
  COLLECT_OPTION_KEYS,
  CollectOptionsSchema,
  availableLabelSources,
  checkCollectInputs,
  DURATION_HELP,
  collectRun,
  formatRunSummary,
  realStageBodies,
  type CollectOptions,
} from '@osfp/collector';
import { describeProfile, type LabPlan } from '@osfp/lab';
import { insideLab, labPrefixOf, reexecInLab, requireLab } from '../lab-exec.ts';
import { loadOptions } from '../option-sources.ts';
import { collectLogging } from '../collect-logging.ts';
import { createProgressReporter } from '../progress-reporter.ts';
import { shutdownSignal } from '../shutdown-signal.ts';

export function collectCommand(): Command {
  return new Command('collect')
    .description(
      'Collect a dataset: probe every target, capture its SYN-ACK, label it with Nmap, write a new dataset version',
    )
    .option('--targets <file>', 'targets file (Tranco rank,domain; one domain, IPv4/IPv6 address or block per line)')
    .option('--resume <runId>', 'continue an interrupted run (its options are restored)')
    .option('--data-dir <dir>', 'data directory: store, datasets, run state, embedded Redis (default ./osfp-data)')
    .option('--dataset <name>', 'dataset that receives the new version (default: the targets file name)')
    .option('--ports <list>', 'TCP ports to probe, comma-separated (default 80)')
    .option('--batch-size <n>', 'addresses per batch (default 256)')
    .option('--concurrency <n>', 'probes in flight per worker (default 256)')
    .option('--timeout <duration>', `per-target probe timeout (default 5s; ${DURATION_HELP})`)
    .option('--rate <n>', 'probes per second across all workers (default 0 = unlimited)')
    .option('--contact <url>', 'contact URL put in the User-Agent')
    .option('--label <policy>', 'which responsive hosts Nmap labels: all | none | sample:FRACTION (default all)')
    .option(
      '--label-max-age <duration>',
      `reuse labels from the dataset's runs when no older than this, e.g. 30d (${DURATION_HELP})`,
    )
    .option('--label-timeout <duration>', `deadline of one Nmap batch (default 10m; ${DURATION_HELP})`)
    .option('--label-processes <n>', 'Nmap processes per worker (default 16)')
    .option(
      '--label-sources <list>',
      "this machine's addresses for the local workers' Nmap to send from, one per process (--lab: the lab's)",
    )
    .option('--dns-server <list>', 'DNS servers, ip[:port], comma-separated (default: the system resolver)')
    .option('--dns-concurrency <n>', 'DNS lookups in flight (default 64)')
    .option('--dns-timeout <duration>', `DNS lookup timeout (default 3s; ${DURATION_HELP})`)
    .addOption(
      new Option(
        '--ip-version <version>',
        'address families probed: 4, 6 or both (A and/or AAAA records, literals, blocks; default 4)',
      ).choices(['4', '6', 'both']),
    )
    .option('--exclude <file...>', 'exclude file(s): one IPv4/IPv6 address or CIDR per line')
    .option('--allow <cidr...>', 'open a special-purpose range (e.g. the lab, 198.18.0.0/15 and fd00:18::/32)')
    .option('--redis <url>', 'Redis of the run (redis://, rediss://; env REDIS_URL); default: an embedded redis-server')
    .option('--no-local-workers', 'start no workers in this process (a pure coordinator)')
    .option('--max-in-flight <n>', 'batches enqueued but not yet written (default 8)')
    .addOption(new Option('--lab [prefix]', 'run inside the lab: its scanner namespace, DNS and address range'))
    .addOption(
      new Option(
        '--progress <mode>',
        'progress display: a live panel (tty; the JSON log then goes to a file), log lines (log), or tty on a terminal (auto)',
      ).choices(['auto', 'tty', 'log']),
    )
    .option(
      '--log-file <file>',
      'write the JSON log to FILE (default: stderr; with the live panel, DATA_DIR/logs/collect-TIME.log)',
    )
    .option(
      '--log-interval <duration>',
      `how often progress is logged when not on a terminal (default 10s; ${DURATION_HELP})`,
    )
    .option('--config <file>', 'JSON file of options (camelCase names); command line and OSFP_* env win over it')
    .action(async (_opts: unknown, command: Command) => {
      let options: CollectOptions = await loadOptions(command, CollectOptionsSchema, COLLECT_OPTION_KEYS);
      let plan: LabPlan | undefined;
      // Label source addresses a lab built by an older osfp lacks (said once the log is open).
      let missingLabSources: string[] = [];
      if (options.lab !== undefined) {
        plan = await requireLab(labPrefixOf(options.lab));
        if (!insideLab(plan)) {
          process.exitCode = await reexecInLab(plan);
          return;
        }
        let labelSources = options.labelSources;
        if (labelSources.length === 0) {
          const lab = availableLabelSources(plan.labelSources.map((s) => s.address));
          labelSources = lab.sources.map((s) => s.address);
          missingLabSources = lab.missing;
        }
        options = {
          ...options,
          dnsServer: options.dnsServer.length > 0 ? options.dnsServer : [plan.dnsServer],
          labelSources,
          allow: [...new Set([...options.allow, plan.allowCidr, plan.allowCidr6])],
          labProfile: plan.profile ? { ...plan.profile } : null,
        };
      }

      // Before the log file is created: a mistake must leave nothing behind.
      await checkCollectInputs(options);
      const terminal = options.progress === 'tty' || (options.progress === 'auto' && process.stderr.isTTY === true);
      const { logger, panel, logFile } = collectLogging({
        terminal,
        level: process.env['OSFP_LOG_LEVEL'] ?? 'info',
        dataDir: options.dataDir,
        logFile: options.logFile,
      });
      if (options.lab !== undefined)
        logger.info(
          { profile: describeProfile(plan?.profile) },
          'collecting in the lab (network profile recorded in the run)',
        );
      if (missingLabSources.length > 0)
        logger.warn(
          { missing: missingLabSources.length },
          `the lab's scanner lacks ${missingLabSources.length} of its label source addresses (a lab built by an older osfp): ` +
            'Nmap processes share fewer addresses and lose more answers on a busy machine; ' +
            `recreate the lab (pnpm lab down${plan ? ` --prefix ${plan.prefix}` : ''} && pnpm lab up) to fix it`,
        );
      const progress = createProgressReporter({ panel, intervalMs: options.logInterval, logger, logFile });
      const shutdown = shutdownSignal((signal) =>
        logger.warn(`${signal}: finishing in-flight batches; press Ctrl-C again to exit at once`),
      );
      try {
        const summary = await collectRun(options, {
          stages: realStageBodies(),
          logger,
          progress,
          signal: shutdown.signal,
        });
        // The panel stays on screen as it was last drawn; the summary goes below it.
        panel?.close();
        process.stdout.write(`${formatRunSummary(summary)}\n`);
        if (summary.status === 'interrupted') process.exitCode = 130;
        else if (summary.status === 'failed') process.exitCode = 1;
      } finally {
        shutdown.dispose();
        panel?.close();
      }
    });
}
