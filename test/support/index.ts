export * from './capabilities.ts';
export * from './lab.ts';
