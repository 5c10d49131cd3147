import { Command } from 'commander';
import { validateDatasetName } from '@osfp/dataset';
import { DEFAULT_LABEL_PATTERN, importPcap, labelMatcher } from '@osfp/features';
import { dataDirOption } from './data-dir-option.ts';

export function importPcapCommand(): Command {
  return new Command('import-pcap')
    .description(
      'Build a dataset version from a capture whose labels are pcapng packet comments: one row per labelled TCP flow ' +
        'with a SYN-ACK (its features, plus per-flow packet, byte, duration and inter-arrival statistics)',
    )
    .argument('<file>', 'pcapng capture with packet comments (add them with editcap -a)')
    .requiredOption('--dataset <name>', 'dataset to add the version to')
    .option(
      '--label-pattern <regex>',
      'regular expression over each packet comment; its first group (or the whole match) is the label; the default is the seed\'s "x,y_LABEL"',
      DEFAULT_LABEL_PATTERN,
    )
    .option('--csv', 'also write data.csv into the version')
    .addOption(dataDirOption())
    .action(async (file: string, opts: { dataset: string; labelPattern: string; csv?: boolean; dataDir: string }) => {
      // Checked before the capture is read: a bad name or pattern costs nothing.
      validateDatasetName(opts.dataset);
      labelMatcher(opts.labelPattern);
      const { manifest, counts } = await importPcap(file, {
        dataDir: opts.dataDir,
        dataset: opts.dataset,
        labelPattern: opts.labelPattern,
        formats: opts.csv ? ['parquet', 'csv'] : ['parquet'],
      });
      process.stdout.write(
        `${manifest.dataset}@${manifest.version}: ${manifest.rows} labelled flows from ${counts['packets']} packets ` +
          `(${counts['flows']} TCP flows, ${counts['flows_with_synack']} with a SYN-ACK, ${counts['unlabelled_flows']} unlabelled), ` +
          `content sha256 ${manifest.contentSha256}\n`,
      );
    });
}
