/**
 * Where an evaluation lives: `VERSION_DIR/evaluation/` beside the version's
 * data files. The version itself stays immutable (its manifest does not list
 * these files, and `verify` checks only what the manifest lists); the
 * evaluation is an add-on that a later run with other options replaces whole.
 *
 *   evaluation/report.json       EvaluationReport
 *   evaluation/report.md         the same, for people
 *   evaluation/predictions.parquet  one row per dataset row: role, p0f_label, learned_label, model top-1/top-2
 *   evaluation/split.csv         ip, port, role of every row, in the version's row order: the same
 *                                train/test assignment for readers without a Parquet library
 *                                (pandas on Debian, which packages no pyarrow; examples/python/)
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { duckdbConfig } from '../duckdb-files.ts';
import { DatasetInputError } from '../errors.ts';
import {
  REPORT_FORMAT,
  type Evaluation,
  type EvaluationReport,
  type PassiveResult,
  type RowPrediction,
} from './evaluate-rows.ts';
import type { PassiveFigures } from './passive-figures.ts';
import { renderReportMarkdown } from './report-markdown.ts';

export const EVALUATION_DIR = 'evaluation';
/** Reports written before learned databases: still readable. */
const REPORT_FORMAT_1 = 'osfp-evaluation-1';
export const REPORT_JSON = 'report.json';
export const REPORT_MD = 'report.md';
export const PREDICTIONS_PARQUET = 'predictions.parquet';
export const SPLIT_CSV = 'split.csv';

export const evaluationDir = (versionDir: string): string => join(versionDir, EVALUATION_DIR);

/** Columns of predictions.parquet (DuckDB types). */
export const PREDICTION_COLUMNS = [
  ['ip', 'VARCHAR'],
  ['port', 'INTEGER'],
  ['label', 'VARCHAR'],
  ['role', 'VARCHAR'],
  ['p0f_label', 'VARCHAR'],
  ['p0f_quality', 'VARCHAR'],
  ['p0f_agrees', 'BOOLEAN'],
  ['learned_label', 'VARCHAR'],
  ['learned_quality', 'VARCHAR'],
  ['learned_agrees', 'BOOLEAN'],
  ['model_top1', 'VARCHAR'],
  ['model_top2', 'VARCHAR'],
] as const satisfies readonly (readonly [keyof RowPrediction, string])[];

/**
 * Writes the evaluation into a temporary directory, then swaps it in: a
 * reader sees the old evaluation or the new one, never half of one.
 */
export async function writeEvaluation(versionDir: string, evaluation: Evaluation): Promise<string> {
  const final = evaluationDir(versionDir);
  const temp = join(versionDir, `.${EVALUATION_DIR}-${process.pid}-${Date.now()}`);
  const old = `${temp}-old`;
  await mkdir(temp);
  try {
    await writeFile(join(temp, REPORT_JSON), `${JSON.stringify(evaluation.report, null, 2)}\n`);
    await writeFile(join(temp, REPORT_MD), `${renderReportMarkdown(evaluation.report)}\n`);
    await writePredictions(temp, evaluation.predictions);
    const hadOld = await rename(final, old).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false;
        throw error;
      },
    );
    await rename(temp, final);
    if (hadOld) await rm(old, { recursive: true, force: true });
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  return final;
}

/** predictions.parquet, and split.csv from the same table (row order kept: one row per dataset row, in file order). */
async function writePredictions(dir: string, predictions: Iterable<RowPrediction>): Promise<void> {
  const sqlPath = (file: string) => `'${join(dir, file).replaceAll("'", "''")}'`;
  const instance = await DuckDBInstance.create(':memory:', duckdbConfig());
  const conn = await instance.connect();
  try {
    await conn.run(`CREATE TABLE predictions (${PREDICTION_COLUMNS.map(([n, t]) => `"${n}" ${t}`).join(', ')})`);
    const appender = await conn.createAppender('predictions');
    for (const p of predictions) {
      for (const [name, type] of PREDICTION_COLUMNS) {
        const value = p[name];
        if (value === null) appender.appendNull();
        else if (type === 'INTEGER') appender.appendInteger(Number(value));
        else if (type === 'BOOLEAN') appender.appendBoolean(Boolean(value));
        else appender.appendVarchar(String(value));
      }
      appender.endRow();
    }
    appender.closeSync();
    await conn.run(`COPY predictions TO ${sqlPath(PREDICTIONS_PARQUET)} (FORMAT parquet)`);
    await conn.run(`COPY (SELECT ip, port, role FROM predictions) TO ${sqlPath(SPLIT_CSV)} (FORMAT csv, HEADER true)`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

export interface StoredEvaluation {
  readonly dir: string;
  readonly report: EvaluationReport;
  readonly markdown: string;
}

/**
 * The evaluation stored beside a version, or null when it was never
 * evaluated. For `osfp dataset show`: print `markdown`, or pick from `report`.
 */
export async function readEvaluation(versionDir: string): Promise<StoredEvaluation | null> {
  const dir = evaluationDir(versionDir);
  let json: string;
  try {
    json = await readFile(join(dir, REPORT_JSON), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const report = upgraded(JSON.parse(json) as StoredReport);
  if (report === null) {
    throw new DatasetInputError(
      `${join(dir, REPORT_JSON)} is not an osfp evaluation report (format ${String((JSON.parse(json) as StoredReport).format)}); re-run osfp dataset evaluate`,
    );
  }
  const markdown = await readFile(join(dir, REPORT_MD), 'utf8');
  return { dir, report, markdown };
}

type StoredReport = { readonly format?: unknown } & Record<string, unknown>;
type PassiveResultV1 = Omit<PassiveResult, 'builtFrom' | 'reference' | 'train' | 'labelled'> & {
  labelled: PassiveFigures;
};

/** The report in the current format; a format-1 report (before learned databases) reads as one without it. */
function upgraded(stored: StoredReport): EvaluationReport | null {
  if (stored.format === REPORT_FORMAT) return stored as unknown as EvaluationReport;
  if (stored.format !== REPORT_FORMAT_1) return null;
  const passive = stored['passive'] as PassiveResultV1 | null;
  return {
    ...(stored as unknown as EvaluationReport),
    format: REPORT_FORMAT,
    passive: passive && { ...passive, builtFrom: 'given', reference: 'nmap', train: null },
    learnedPassive: null,
  };
}
