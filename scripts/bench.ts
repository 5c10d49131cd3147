// Thin entry for `pnpm bench`: the benchmarks live in packages/collector/src/bench.
import { runCli } from '../packages/collector/src/cli/program.ts';

process.exitCode = await runCli([process.argv[0] ?? 'node', 'osfp', 'bench', ...process.argv.slice(2)]);
