import { Command } from 'commander';
import { notImplemented } from '../usage-error.ts';

export function featuresCommand(): Command {
  return new Command('features')
    .description('Print one feature record per SYN-ACK found in a pcap or pcapng file')
    .argument('<file>', 'pcap or pcapng capture')
    .option('--format <format>', 'jsonl or csv', 'jsonl')
    .action(() => notImplemented('osfp features'));
}
