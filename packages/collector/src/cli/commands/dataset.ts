import { Command } from 'commander';
import { notImplemented } from '../usage-error.ts';

export function datasetCommand(): Command {
  const dataset = new Command('dataset').description('List, show, diff, export and verify dataset versions');
  for (const [name, description] of [
    ['ls', 'list datasets and their versions'],
    ['show', 'show a version\'s manifest and class histogram (NAME[@V])'],
    ['diff', 'compare two versions (NAME@A NAME@B)'],
    ['export', 'export a version to Parquet or CSV (NAME[@V] --format parquet|csv --out PATH)'],
    ['verify', 'prove a version is unchanged (sha256 of every file)'],
  ] as const) {
    dataset.addCommand(
      new Command(name).description(description).allowExcessArguments(true).action(() => notImplemented(`osfp dataset ${name}`)),
    );
  }
  return dataset;
}
