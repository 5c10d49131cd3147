export { runCli, buildProgram } from './cli/program.ts';
export * from './features/index.ts';
export * from './pcap/index.ts';
