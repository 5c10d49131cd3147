/**
 * Reads the columns the evaluator needs from a Parquet file (a version's
 * data.parquet or an export) into a columnar table: numbers in typed arrays,
 * the few distinct strings of each text column stored once and referenced by
 * code. A chunk of rows at a time, so no more than a chunk is ever held as
 * objects: at a million rows, reading them as objects took ~1.5 GB of the
 * 3 GB an evaluation peaked at; the table takes ~80 bytes a row.
 */
import { access } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { COLUMNS } from '../schema.ts';
import { EvaluationInputError } from './evaluation-error.ts';
import { EVALUATION_INPUT_COLUMNS, type EvaluationRow, type EvaluationRows } from './evaluation-row.ts';

type Column = (typeof EVALUATION_INPUT_COLUMNS)[number];

const INTEGER_COLUMNS = [
  'port',
  'ip_ittl',
  'ip_id',
  'ip_tos',
  'ip_ecn',
  'ip_olen',
  'tcp_window',
  'tcp_mss',
  'tcp_wscale',
] as const satisfies readonly Column[];
const BOOLEAN_COLUMNS = ['ip_df', 'tcp_sack_ok', 'tcp_ts'] as const satisfies readonly Column[];
const TEXT_COLUMNS = [
  'ip',
  'tcp_olayout',
  'tcp_quirks',
  'tcp_wsize',
  'p0f_sig',
  'label',
  'label_2',
  'label_status',
] as const satisfies readonly Column[];
// Every input column has exactly one home above (checked by the type: no column left out).
type Unhoused = Exclude<
  Column,
  (typeof INTEGER_COLUMNS)[number] | (typeof BOOLEAN_COLUMNS)[number] | (typeof TEXT_COLUMNS)[number]
>;
const ALL_HOUSED: [Unhoused] extends [never] ? true : never = true;

/** INTEGER columns never hold this value (it is below their range): null. */
const NULL_INTEGER = -2_147_483_648;
const NULL_CODE = -1;

/** A column of strings, each distinct one stored once (ip is distinct per row, the others repeat). */
class TextColumn {
  private readonly codes: Int32Array;
  private readonly values: string[] = [];
  private readonly index = new Map<string, number>();

  constructor(length: number) {
    this.codes = new Int32Array(length);
  }

  set(i: number, value: unknown): void {
    if (value === null || value === undefined) {
      this.codes[i] = NULL_CODE;
      return;
    }
    const text = String(value);
    let code = this.index.get(text);
    if (code === undefined) {
      code = this.values.length;
      this.values.push(text);
      this.index.set(text, code);
    }
    this.codes[i] = code;
  }

  get(i: number): string | null {
    const code = this.codes[i] ?? NULL_CODE;
    return code === NULL_CODE ? null : (this.values[code] ?? null);
  }
}

/** The rows of a version, column by column; `at(i)` builds row i when asked. */
export class EvaluationTable implements EvaluationRows {
  private readonly integers: Record<(typeof INTEGER_COLUMNS)[number], Int32Array>;
  private readonly booleans: Record<(typeof BOOLEAN_COLUMNS)[number], Uint8Array>;
  private readonly texts: Record<(typeof TEXT_COLUMNS)[number], TextColumn>;

  constructor(readonly length: number) {
    this.integers = Object.fromEntries(INTEGER_COLUMNS.map((c) => [c, new Int32Array(length)])) as typeof this.integers;
    this.booleans = Object.fromEntries(BOOLEAN_COLUMNS.map((c) => [c, new Uint8Array(length)])) as typeof this.booleans;
    this.texts = Object.fromEntries(TEXT_COLUMNS.map((c) => [c, new TextColumn(length)])) as typeof this.texts;
  }

  set(i: number, row: Readonly<Record<string, unknown>>): void {
    for (const c of INTEGER_COLUMNS) {
      const value = row[c];
      this.integers[c][i] = value === null || value === undefined ? NULL_INTEGER : Number(value);
    }
    for (const c of BOOLEAN_COLUMNS) this.booleans[c][i] = row[c] ? 1 : 0;
    for (const c of TEXT_COLUMNS) this.texts[c].set(i, row[c]);
  }

  at(i: number): EvaluationRow | undefined {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) return undefined;
    const integer = (c: (typeof INTEGER_COLUMNS)[number]) => {
      const value = this.integers[c][i] ?? NULL_INTEGER;
      return value === NULL_INTEGER ? null : value;
    };
    const text = (c: (typeof TEXT_COLUMNS)[number]) => this.texts[c].get(i);
    return {
      ip: text('ip') ?? '',
      port: integer('port') ?? 0,
      ip_ittl: integer('ip_ittl') ?? 0,
      ip_df: this.booleans.ip_df[i] === 1,
      ip_id: integer('ip_id') ?? 0,
      ip_tos: integer('ip_tos') ?? 0,
      ip_ecn: integer('ip_ecn') ?? 0,
      ip_olen: integer('ip_olen') ?? 0,
      tcp_window: integer('tcp_window') ?? 0,
      tcp_mss: integer('tcp_mss'),
      tcp_wscale: integer('tcp_wscale'),
      tcp_sack_ok: this.booleans.tcp_sack_ok[i] === 1,
      tcp_ts: this.booleans.tcp_ts[i] === 1,
      tcp_olayout: text('tcp_olayout') ?? '',
      tcp_quirks: text('tcp_quirks') ?? '',
      tcp_wsize: text('tcp_wsize') ?? '',
      p0f_sig: text('p0f_sig') ?? '',
      label: text('label'),
      label_2: text('label_2'),
      label_status: (text('label_status') ?? 'failed') as EvaluationRow['label_status'],
    };
  }
}

export async function readEvaluationRows(parquetPath: string): Promise<EvaluationTable> {
  void ALL_HOUSED;
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
    const count = await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${source}`);
    const table = new EvaluationTable(Number(count.getRowObjectsJS()[0]?.['n'] ?? 0));
    // File order (one thread keeps it) makes the evaluation reproducible.
    // Cast to the schema's types so a file written by another tool (BIGINT for INTEGER, say) reads the same.
    const typeOf = new Map<string, string>(COLUMNS.map((c) => [c.name, c.type]));
    const select = EVALUATION_INPUT_COLUMNS.map((c) => `CAST("${c}" AS ${typeOf.get(c) ?? 'VARCHAR'}) AS "${c}"`).join(
      ', ',
    );
    await conn.run('SET threads = 1');
    const result = await conn.stream(`SELECT ${select} FROM ${source}`);
    let i = 0;
    for await (const chunk of result.yieldRowObjectJs()) {
      for (const row of chunk) {
        if (i >= table.length) throw new Error(`${parquetPath} changed while it was read`);
        table.set(i++, row);
      }
    }
    if (i !== table.length) throw new Error(`${parquetPath}: read ${i} rows of ${table.length}`);
    return table;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
