/**
 * `osfp dataset p0f-db`: a p0f fingerprint file learned from one dataset
 * version, written atomically to a path that must not exist yet. Every check
 * (version, labels, options, output path) happens before anything is
 * written; a failed run leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { link, lstat, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  DATA_PARQUET,
  DEFAULT_EVALUATE_OPTIONS,
  DatasetInputError,
  OSFP_VERSION,
  messageOf,
  readEvaluationRows,
  resolveVersion,
  trainingRows,
  type EvaluationRow,
} from '@osfp/dataset';
import { parseP0fDatabase } from './database.ts';
import {
  assertLabelled,
  learnP0fDatabase,
  requireSignatures,
  type LearnOptions,
  type LearnedDatabase,
} from './learn-database.ts';
import { formatSignature } from './signature-text.ts';
import { renderP0fDatabase } from './write-database.ts';

export const P0F_DB_SPLITS = ['all', 'train'] as const;
export type P0fDbSplit = (typeof P0F_DB_SPLITS)[number];

export interface VersionDatabaseOptions extends LearnOptions {
  readonly out: string;
  /** `all`: every labelled row; `train`: the training split `osfp dataset evaluate` uses with this seed and fraction. */
  readonly split: P0fDbSplit;
  readonly seed: number;
  readonly testFraction: number;
}

export interface VersionDatabaseResult {
  readonly ref: string;
  readonly path: string;
  readonly database: LearnedDatabase;
}

export async function writeVersionP0fDatabase(
  dataDir: string,
  refText: string,
  options: VersionDatabaseOptions,
): Promise<VersionDatabaseResult> {
  const version = await resolveVersion(dataDir, refText);
  const ref = `${version.name}@${version.version}`;
  await checkOutput(options.out);

  const table = await readEvaluationRows(join(version.dir, DATA_PARQUET));
  const rows = Array.from({ length: table.length }, (_, i) => table.at(i) as EvaluationRow);
  assertLabelled(rows, ref);
  const { seed, testFraction } = options;
  const split = { seed, testFraction, minSupport: DEFAULT_EVALUATE_OPTIONS.minSupport };
  const used: readonly EvaluationRow[] = options.split === 'all' ? rows : trainingRows(rows, split);
  const rowsUsed =
    options.split === 'all'
      ? 'all labelled rows'
      : `the training split of osfp dataset evaluate (--seed ${seed} --test-fraction ${testFraction}; classes with at least ${split.minSupport} labelled rows)`;
  const what = `${ref} (${options.split === 'all' ? 'all labelled rows' : 'training split'})`;

  const database = learnP0fDatabase(used, options, what);
  requireSignatures(database, what);
  const m = version.manifest;
  const command = [
    `osfp dataset p0f-db ${ref} --split ${options.split}`,
    ...(options.split === 'train' ? [`--seed ${seed} --test-fraction ${testFraction}`] : []),
    `--min-support ${options.minSupport} --min-purity ${options.minPurity}`,
  ].join(' ');
  const text = renderP0fDatabase(database, {
    dataset: m.dataset,
    version: m.version,
    contentSha256: m.contentSha256,
    dataSha256: m.files[DATA_PARQUET]?.sha256 ?? null,
    taxonomyVersion: m.provenance.taxonomyVersion,
    nmapVersion: m.provenance.nmapVersion,
    nmapOsDbSha256: m.provenance.nmapOsDbSha256,
    versionRows: m.rows,
    rowsUsed,
    toolVersion: OSFP_VERSION,
    command,
  });
  assertReadsBack(text, database);
  await writeNewFile(options.out, text);
  return { ref, path: options.out, database };
}

async function checkOutput(out: string): Promise<void> {
  if (await lstat(out).catch(() => null)) {
    throw new DatasetInputError(
      `--out ${out} already exists; choose another path or remove it (p0f-db never overwrites)`,
    );
  }
  const dir = dirname(out);
  const parent = await stat(dir).catch(() => null);
  if (!parent?.isDirectory())
    throw new DatasetInputError(`--out ${out}: directory ${dir} does not exist; create it first`);
}

/** What the file says must be what was learned: parse it back the way the evaluator reads p0f.fp. */
function assertReadsBack(text: string, db: LearnedDatabase): void {
  const parsed = parseP0fDatabase(text, 'generated database').tcpResponse;
  const same =
    parsed.length === db.signatures.length &&
    parsed.every((p, i) => {
      const s = db.signatures[i];
      return s !== undefined && formatSignature(p) === formatSignature(s.fields) && p.label.generic === s.label.generic;
    });
  if (!same) throw new Error('internal error: the generated p0f database does not read back as generated');
}

/** Temp file beside the target, then link(): the target appears complete or not at all, and is never replaced. */
async function writeNewFile(out: string, text: string): Promise<void> {
  const tmp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(tmp, text, { flag: 'wx', mode: 0o644 });
    await link(tmp, out);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new DatasetInputError(`--out ${out} already exists; choose another path or remove it (nothing written)`);
    }
    throw new DatasetInputError(`cannot write --out ${out} (${messageOf(error)}); nothing written`, { cause: error });
  } finally {
    await rm(tmp, { force: true });
  }
}
