export { runCli, buildProgram } from './cli/program.ts';
