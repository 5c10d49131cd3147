/** Reads the columns the evaluator needs from a Parquet file (a version's data.parquet or an export). */
import { access } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { COLUMNS } from '../schema.ts';
import { EvaluationInputError } from './evaluation-error.ts';
import { EVALUATION_INPUT_COLUMNS, type EvaluationRow } from './evaluation-row.ts';

export async function readEvaluationRows(parquetPath: string): Promise<EvaluationRow[]> {
  try {
    await access(parquetPath);
  } catch {
    throw new EvaluationInputError(`${parquetPath} does not exist: name an existing dataset version (osfp dataset ls)`);
  }
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const source = `read_parquet('${parquetPath.replaceAll("'", "''")}')`;
    let present: Set<string>;
    try {
      const described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
      present = new Set(described.getRowObjectsJS().map((r) => String(r['column_name'])));
    } catch (error) {
      throw new EvaluationInputError(
        `cannot read ${parquetPath} as Parquet (truncated or foreign file?): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const missing = EVALUATION_INPUT_COLUMNS.filter((c) => !present.has(c));
    if (missing.length > 0) {
      throw new EvaluationInputError(
        `${parquetPath} lacks the column(s) ${missing.join(', ')}: it is not an osfp dataset`,
      );
    }
    // File order (DuckDB preserves insertion order by default) keeps the evaluation reproducible.
    // Cast to the schema's types so a file written by another tool (BIGINT for INTEGER, say) reads the same.
    const typeOf = new Map<string, string>(COLUMNS.map((c) => [c.name, c.type]));
    const select = EVALUATION_INPUT_COLUMNS.map((c) => `CAST("${c}" AS ${typeOf.get(c) ?? 'VARCHAR'}) AS "${c}"`).join(
      ', ',
    );
    const reader = await conn.runAndReadAll(`SELECT ${select} FROM ${source}`);
    return reader.getRowObjectsJS() as unknown as EvaluationRow[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
