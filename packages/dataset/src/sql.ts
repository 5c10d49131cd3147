/** Quoting for the SQL this package builds from column names and file paths. */
import type { ColumnSpec } from './schema.ts';

export const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;
export const literal = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/** `"a" VARCHAR NOT NULL, ...` for CREATE TABLE. */
export function columnDefinitions(columns: readonly ColumnSpec[], opts: { allNullable?: boolean } = {}): string {
  return columns
    .map((c) => `${ident(c.name)} ${c.type}${c.nullable || opts.allNullable ? '' : ' NOT NULL'}`)
    .join(', ');
}

export const columnList = (columns: readonly Pick<ColumnSpec, 'name'>[]): string =>
  columns.map((c) => ident(c.name)).join(', ');
