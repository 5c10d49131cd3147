import { Command } from 'commander';
import { runBenchmarks } from '../bench/runner.ts';

export function benchCommand(): Command {
  return new Command('bench')
    .description('Measure osfp against its reference points in the lab and print the ratios (needs root)')
    .option('--only <name>', 'run one benchmark')
    .option('--json', 'print the results as one JSON document')
    .action(async (opts: { only?: string; json?: boolean }) => {
      process.exitCode = await runBenchmarks({ only: opts.only, json: opts.json });
    });
}
