#!/usr/bin/env node
// The osfp command line: a thin entry that only wires subcommands; each
// subcommand's behaviour lives in its own module under commands/.
import { runCli } from './program.ts';

process.exitCode = await runCli(process.argv);
