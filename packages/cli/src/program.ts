import { Command, CommanderError } from 'commander';
import { isUserFixable, OSFP_VERSION } from '@osfp/dataset';
import { collectCommand } from './commands/collect.ts';
import { workerCommand } from './commands/worker.ts';
import { datasetCommand } from './commands/dataset.ts';
import { featuresCommand } from './commands/features.ts';
import { importPcapCommand } from './commands/import-pcap.ts';
import { labCommand } from './commands/lab.ts';
import { benchCommand } from './commands/bench.ts';
import { uiCommand } from './commands/ui.ts';
import { systemErrorMessage } from './system-error.ts';

export function buildProgram(): Command {
  const program = new Command('osfp')
    .description(
      "Build labeled datasets for passive OS fingerprinting: capture each server's TCP SYN-ACK " +
        'while sending a real HTTP request, label it with Nmap OS detection, and publish ' +
        'immutable, versioned Parquet/CSV datasets.',
    )
    .version(OSFP_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const sub of [
    collectCommand(),
    workerCommand(),
    datasetCommand(),
    featuresCommand(),
    importPcapCommand(),
    labCommand(),
    uiCommand(),
    benchCommand(),
  ]) {
    program.addCommand(sub);
  }
  // addCommand() does not pass these on: without them a subcommand's usage error would exit the process.
  const inherit = (command: Command): void => {
    for (const sub of command.commands) {
      sub.exitOverride().showHelpAfterError('(run with --help for usage)');
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

/** Runs the CLI and returns the process exit code; never throws. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version arrive here with exit code 0; usage errors were already printed.
      return error.exitCode;
    }
    // Every package marks the errors a user can fix; they are mapped here, once, to a message without a stack.
    if (isUserFixable(error)) {
      process.stderr.write(`osfp: ${error.message}\n`);
      return error.exitCode ?? 1;
    }
    const system = systemErrorMessage(error);
    if (system !== null) {
      process.stderr.write(`osfp: ${system}\n`);
      return 1;
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`osfp: unexpected error: ${message}\n`);
    return 1;
  }
}
