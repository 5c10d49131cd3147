import { Command } from 'commander';
import { notImplemented } from '../usage-error.ts';

export function collectCommand(): Command {
  return new Command('collect')
    .description('Collect a dataset: probe every target, capture its SYN-ACK, label it with Nmap, write a new dataset version')
    .option('--targets <file>', 'targets file (Tranco rank,domain; one domain, IP or CIDR per line)')
    .action(() => notImplemented('osfp collect'));
}
