/** Appends typed rows to a DuckDB appender, column by column, in table order. */
import { LIST, VARCHAR, listValue, timestampValue, type DuckDBAppender } from '@duckdb/node-api';
import type { ColumnSpec } from './schema.ts';

const VARCHAR_LIST = LIST(VARCHAR);

export function appendValue(appender: DuckDBAppender, column: Pick<ColumnSpec, 'name' | 'type'>, value: unknown): void {
  if (value === null || value === undefined) {
    appender.appendNull();
    return;
  }
  switch (column.type) {
    case 'VARCHAR':
      appender.appendVarchar(String(value));
      return;
    case 'INTEGER':
      appender.appendInteger(asNumber(column, value));
      return;
    case 'BIGINT':
      appender.appendBigInt(BigInt(Math.trunc(asNumber(column, value))));
      return;
    case 'DOUBLE':
      appender.appendDouble(asNumber(column, value));
      return;
    case 'BOOLEAN':
      appender.appendBoolean(Boolean(value));
      return;
    case 'TIMESTAMP': {
      const ms = value instanceof Date ? value.getTime() : new Date(String(value)).getTime();
      if (Number.isNaN(ms)) throw new TypeError(`column ${column.name}: ${String(value)} is not a valid timestamp`);
      appender.appendTimestamp(timestampValue(BigInt(Math.round(ms * 1000))));
      return;
    }
    case 'VARCHAR[]':
      if (!Array.isArray(value)) throw new TypeError(`column ${column.name}: expected a list of strings`);
      appender.appendList(listValue(value.map(String)), VARCHAR_LIST);
      return;
  }
}

function asNumber(column: Pick<ColumnSpec, 'name'>, value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : Number.NaN;
  if (Number.isNaN(n)) throw new TypeError(`column ${column.name}: ${String(value)} is not a number`);
  return n;
}
