/**
 * docs/record-schema.md is the column contract other tools read: its column
 * tables must list exactly COLUMNS and FLOW_COLUMNS, in file order, with each
 * column's type and nullability, and name the current feature-schema version.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COLUMNS, FEATURE_SCHEMA_VERSION, FLOW_COLUMNS, type ColumnSpec } from '../src/schema.ts';

const DOC_PATH = new URL('../../../docs/record-schema.md', import.meta.url);
const doc = readFileSync(DOC_PATH, 'utf8');

interface DocumentedColumn {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean | string;
}

/** The body of the `## heading` section, up to the next heading of any level. */
function section(heading: string): string {
  const lines = doc.split('\n');
  const start = lines.findIndex((line) => line.trim() === `## ${heading}`);
  if (start === -1) throw new Error(`docs/record-schema.md has no "## ${heading}" section`);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('#'));
  return lines.slice(start + 1, end === -1 ? undefined : end).join('\n');
}

/** Table rows of a section whose first cell is a column name in backticks: `| \`name\` | TYPE | yes/no | meaning |`. */
function documentedColumns(heading: string): DocumentedColumn[] {
  const columns: DocumentedColumn[] = [];
  for (const line of section(heading).split('\n')) {
    // Cells are split on pipes that are not escaped (\|) inside a cell.
    const cells = line
      .trim()
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((cell) => cell.trim());
    const name = /^`([a-z0-9_]+)`$/.exec(cells[0] ?? '')?.[1];
    if (name === undefined) continue;
    const type = (cells[1] ?? '').replace(/`/g, '');
    const nullable = cells[2] === 'yes' ? true : cells[2] === 'no' ? false : (cells[2] ?? '');
    columns.push({ name, type, nullable });
  }
  return columns;
}

const expected = (columns: readonly ColumnSpec[]): DocumentedColumn[] =>
  columns.map(({ name, type, nullable }) => ({ name, type, nullable }));

describe('docs/record-schema.md', () => {
  it('documents every record column of COLUMNS, in file order, with its type and nullability', () => {
    expect(documentedColumns('Record columns')).toEqual(expected(COLUMNS));
  });

  it('documents every flow column of FLOW_COLUMNS, in file order, with its type and nullability', () => {
    expect(documentedColumns('Flow columns')).toEqual(expected(FLOW_COLUMNS));
  });

  it('states the current feature-schema version', () => {
    expect(doc).toContain(`The current feature-schema version is **${FEATURE_SCHEMA_VERSION}**.`);
  });
});
