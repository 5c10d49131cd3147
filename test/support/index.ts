export * from './capabilities.ts';
export * from './lab.ts';
export * from './probe-run.ts';
