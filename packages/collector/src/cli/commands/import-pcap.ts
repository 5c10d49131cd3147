import { Command } from 'commander';
import { notImplemented } from '../usage-error.ts';

export function importPcapCommand(): Command {
  return new Command('import-pcap')
    .description('Build a dataset version from a capture whose labels are pcapng packet comments')
    .argument('<file>', 'pcapng capture with packet comments')
    .option('--dataset <name>', 'dataset to add the version to')
    .action(() => notImplemented('osfp import-pcap'));
}
