// Row builders for tests of the dataset and of the packages that write to it.
export { PROVENANCE, guesses, row, rows, run, withDataDir } from './rows.ts';
export { PERSONALITIES, syntheticRows } from './synthetic-rows.ts';
