/**
 * `osfp dataset p0f-db NAME[@V] --out FILE`: a p0f 3 fingerprint file
 * learned from a version's labelled SYN-ACKs (@osfp/features' p0f-db), for
 * whoever still runs p0f. The file's header cites the version it came from.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_EVALUATE_OPTIONS, parseVersionRef } from '@osfp/dataset';
import { DEFAULT_LEARN_OPTIONS, P0F_DB_SPLITS, writeVersionP0fDatabase, type P0fDbSplit } from '@osfp/features';
import { dataDirOption } from './data-dir-option.ts';

interface P0fDbCliOptions {
  dataDir: string;
  out: string;
  minSupport: number;
  minPurity: number;
  split: P0fDbSplit;
  seed: number;
  testFraction: number;
}

const integer =
  (what: string, min: number) =>
  (value: string): number => {
    if (!/^-?\d+$/.test(value) || Number(value) < min)
      throw new InvalidArgumentError(`${what} must be an integer >= ${min}, got "${value}"`);
    return Number(value);
  };

const share =
  (what: string, { includeOne }: { includeOne: boolean }) =>
  (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !(n > 0 && (includeOne ? n <= 1 : n < 1))) {
      throw new InvalidArgumentError(
        `${what} must be a number above 0 and ${includeOne ? 'at most' : 'below'} 1 (e.g. 0.8), got "${value}"`,
      );
    }
    return n;
  };

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export function datasetP0fDbCommand(): Command {
  const e = DEFAULT_EVALUATE_OPTIONS;
  return new Command('p0f-db')
    .description(
      "write a p0f 3 fingerprint database learned from a version's labelled SYN-ACKs: one [tcp:response] signature " +
        "per distinct p0f_sig (generalised with '*' where a field does not separate classes), labelled with the class " +
        'its rows carry, support and purity as comments; the header cites the version (never overwrites)',
    )
    .argument('<ref>', 'NAME[@V] (no @V = latest)', (s: string) => {
      parseVersionRef(s);
      return s;
    })
    .requiredOption('--out <file>', 'p0f.fp file to write (must not exist); use it with p0f -f FILE')
    .addOption(
      new Option('--min-support <n>', 'rows a signature needs to be written')
        .argParser(integer('--min-support', 1))
        .default(DEFAULT_LEARN_OPTIONS.minSupport),
    )
    .addOption(
      new Option(
        '--min-purity <p>',
        "share of a signature's rows its class needs (else its OS family, as a generic g: label; else left out)",
      )
        .argParser(share('--min-purity', { includeOne: true }))
        .default(DEFAULT_LEARN_OPTIONS.minPurity),
    )
    .addOption(
      new Option('--split <split>', 'all labelled rows, or the training split of osfp dataset evaluate')
        .choices([...P0F_DB_SPLITS])
        .default('all'),
    )
    .addOption(
      new Option('--seed <n>', 'with --split train: the seed of the evaluation to match')
        .argParser(integer('--seed', 0))
        .default(e.seed),
    )
    .addOption(
      new Option('--test-fraction <x>', 'with --split train: the test fraction of the evaluation to match')
        .argParser(share('--test-fraction', { includeOne: false }))
        .default(e.testFraction),
    )
    .addOption(dataDirOption())
    .action(async (ref: string, opts: P0fDbCliOptions) => {
      const {
        ref: what,
        path,
        database: db,
      } = await writeVersionP0fDatabase(opts.dataDir, ref, {
        out: opts.out,
        minSupport: opts.minSupport,
        minPurity: opts.minPurity,
        split: opts.split,
        seed: opts.seed,
        testFraction: opts.testFraction,
      });
      const generic = db.signatures.filter((s) => s.label.generic).length;
      const leftOutRows = db.leftOut.reduce((n, s) => n + s.evidence.rows, 0);
      process.stdout.write(
        `${what}: ${db.signatures.length} signatures (${generic} generic) from ${db.rows.learned} labelled rows written to ${path}; ` +
          `${db.leftOut.length} left out (${leftOutRows} rows)\n` +
          `  on its own rows: matches ${pct(db.rows.matched / db.rows.learned)}, gives the row's class to ${pct(db.rows.agreeing / db.rows.learned)}\n` +
          `  use it: p0f -f ${path} -r CAPTURE (or -i IFACE)\n`,
      );
    });
}
