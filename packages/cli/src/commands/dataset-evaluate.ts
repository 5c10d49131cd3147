/**
 * `osfp dataset evaluate NAME[@V]`: baseline classifiers, p0f's own database
 * and a p0f database learned from the training split, on one dataset version,
 * and with `--truth` all of them (and Nmap's label) against the lab's ground
 * truth; the report is stored beside the version (evaluation/report.json, report.md,
 * predictions.parquet) and printed.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  DEFAULT_EVALUATE_OPTIONS,
  evaluateVersion,
  parseVersionRef,
  readGroundTruth,
  resolveVersion,
  type PassiveBaseline,
} from '@osfp/dataset';
import { DEFAULT_TAXONOMY } from '@osfp/labeler';
import { DEFAULT_P0F_DB_PATH, learnedP0fBaseline, loadP0fDatabase, p0fBaseline } from '@osfp/features';
import { UsageError } from '../usage-error.ts';
import { dataDirOption } from './data-dir-option.ts';

interface EvaluateCliOptions {
  dataDir: string;
  seed: number;
  testFraction: number;
  minSupport: number;
  trees: number;
  maxDepth: number;
  maxTrainRows: number;
  p0fDb: string;
  p0f: boolean;
  p0fLearned: boolean;
  truth?: string;
  json?: boolean;
}

const integer =
  (what: string, min: number) =>
  (value: string): number => {
    if (!/^-?\d+$/.test(value) || Number(value) < min)
      throw new InvalidArgumentError(`${what} must be an integer >= ${min}, got "${value}"`);
    return Number(value);
  };

const fraction = (value: string): number => {
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`must be a number between 0 and 1 (exclusive), got "${value}"`);
  return n;
};

export function datasetEvaluateCommand(): Command {
  const d = DEFAULT_EVALUATE_OPTIONS;
  return new Command('evaluate')
    .description(
      "train baseline classifiers (majority, random forest) on a version's SYN-ACK features and judge p0f's database " +
        'and a p0f database learned from the training split (osfp dataset p0f-db) beside them: top-1/top-2/balanced ' +
        'accuracy, per-class table, informative features; stored in VERSION/evaluation/',
    )
    .argument('<ref>', 'NAME[@V] (no @V = latest)', (s: string) => {
      parseVersionRef(s);
      return s;
    })
    .addOption(dataDirOption())
    .addOption(
      new Option('--seed <n>', 'seed of the split, the subsample and the forest')
        .argParser(integer('--seed', 0))
        .default(d.seed),
    )
    .addOption(
      new Option('--test-fraction <x>', 'share of each class held out').argParser(fraction).default(d.testFraction),
    )
    .addOption(
      new Option('--min-support <n>', 'classes with fewer labelled rows are listed, not trained on or scored')
        .argParser(integer('--min-support', 2))
        .default(d.minSupport),
    )
    .addOption(
      new Option('--trees <n>', 'trees in the random forest').argParser(integer('--trees', 1)).default(d.trees),
    )
    .addOption(
      new Option('--max-depth <n>', 'maximum tree depth').argParser(integer('--max-depth', 1)).default(d.maxDepth),
    )
    .addOption(
      new Option(
        '--max-train-rows <n>',
        'stratified subsample of the training split beyond this many rows (bounds training time)',
      )
        .argParser(integer('--max-train-rows', 2))
        .default(d.maxTrainRows),
    )
    .addOption(new Option('--p0f-db <path>', "p0f's fingerprint database (p0f.fp)").default(DEFAULT_P0F_DB_PATH))
    .option('--no-p0f', "skip p0f's own database (the learned one needs no file)")
    .option('--no-p0f-learned', 'skip the p0f database learned from the training split')
    .option(
      '--truth <file>',
      "ground truth, as written by `pnpm lab truth --out FILE` (CSV ip,fingerprint,class,...): adds Nmap's label, " +
        'the models and the p0f databases against it to the report',
    )
    .option('--json', 'print report.json instead of report.md')
    .action(async (ref: string, opts: EvaluateCliOptions) => {
      const passive: PassiveBaseline | null = opts.p0f
        ? p0fBaseline(await loadP0fDatabaseOrSayHowToSkip(opts.p0fDb))
        : null;
      const version = await resolveVersion(opts.dataDir, ref);
      // Read and checked before anything is evaluated or written; the lab writes the default taxonomy's classes.
      const truth = opts.truth === undefined ? null : await readGroundTruth(opts.truth, DEFAULT_TAXONOMY.version);
      const result = await evaluateVersion(version.dir, {
        seed: opts.seed,
        testFraction: opts.testFraction,
        minSupport: opts.minSupport,
        trees: opts.trees,
        maxDepth: opts.maxDepth,
        maxTrainRows: opts.maxTrainRows,
        importanceRepeats: d.importanceRepeats,
        passive,
        learnedPassive: opts.p0fLearned ? learnedP0fBaseline() : null,
        truth,
      });
      if (opts.json) process.stdout.write(`${JSON.stringify(result.report, null, 2)}\n`);
      else process.stdout.write(`${result.markdown}\n`);
      process.stderr.write(`osfp: evaluation stored in ${result.dir}\n`);
    });
}

/** The p0f baseline is optional: when its database cannot be read, say how to go without it. */
async function loadP0fDatabaseOrSayHowToSkip(path: string): ReturnType<typeof loadP0fDatabase> {
  return loadP0fDatabase(path).catch((error: unknown) => {
    throw new UsageError(`${(error as Error).message}, or skip it with --no-p0f`);
  });
}
