export * from './capabilities.ts';
export * from './scratch-dir.ts';
