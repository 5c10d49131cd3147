import { Command } from 'commander';
import { notImplemented } from '../usage-error.ts';

export function labCommand(): Command {
  return new Command('lab')
    .description('Manage the private lab network of target hosts (Linux network namespaces; needs root)')
    .argument('[action]', 'up | down | status | targets')
    .allowUnknownOption(true)
    .action(() => notImplemented('osfp lab'));
}
