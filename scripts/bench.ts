// Thin entry for `pnpm bench`: the benchmarks live in packages/cli/src/bench.
import { runCli } from '../packages/cli/src/program.ts';

process.exitCode = await runCli([process.argv[0] ?? 'node', 'osfp', 'bench', ...process.argv.slice(2)]);
