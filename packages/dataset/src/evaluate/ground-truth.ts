/**
 * Ground truth for `osfp dataset evaluate --truth FILE`: what each address
 * truly runs, as `pnpm lab truth --out FILE` writes it (CSV whose first
 * columns are ip, fingerprint, class; class under the lab's taxonomy). The
 * whole file is read and checked before the evaluation writes anything.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { parse } from 'csv-parse/sync';
import { EvaluationInputError } from './evaluation-error.ts';

/** The columns `lab truth` writes first, in this order; later columns are detail and not read. */
export const TRUTH_COLUMNS = ['ip', 'fingerprint', 'class'] as const;

export interface TruthHost {
  readonly fingerprint: string;
  /** The taxonomy class of what truly answers at this address. */
  readonly cls: string;
}

export interface GroundTruth {
  /** Where it was read from, recorded in the report. */
  readonly source: string;
  /** The taxonomy its classes are under (the lab writes the current default taxonomy's classes), if known. */
  readonly taxonomy: string | null;
  readonly byIp: ReadonlyMap<string, TruthHost>;
}

const HOW_TO_MAKE = 'write it with `pnpm lab truth --out FILE`';

export async function readGroundTruth(path: string, taxonomy: string | null = null): Promise<GroundTruth> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new EvaluationInputError(`--truth ${path}: cannot read it (${(error as Error).message}); ${HOW_TO_MAKE}`);
  }
  return parseGroundTruth(text, path, taxonomy);
}

/** Parses the text of a truth file; `source` names it in errors and in the report. */
export function parseGroundTruth(text: string, source: string, taxonomy: string | null = null): GroundTruth {
  const fail = (what: string): never => {
    throw new EvaluationInputError(`--truth ${source}: ${what}; ${HOW_TO_MAKE}`);
  };
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: false, skip_empty_lines: true, bom: true }) as string[][];
  } catch (error) {
    return fail(`not a CSV file (${(error as Error).message})`);
  }
  const header = records[0];
  if (header === undefined) return fail('the file is empty');
  if (TRUTH_COLUMNS.some((c, k) => header[k]?.trim() !== c)) {
    return fail(
      `its header is "${header.slice(0, 4).join(',')}", not a lab truth file (columns ${TRUTH_COLUMNS.join(', ')} first)`,
    );
  }
  const byIp = new Map<string, TruthHost>();
  records.slice(1).forEach((record, k) => {
    const line = k + 2;
    const [ip = '', fingerprint = '', cls = ''] = record.map((v) => v.trim());
    if (isIP(ip) === 0) fail(`line ${line}: "${ip}" is not an IP address`);
    if (cls === '') fail(`line ${line}: ${ip} has no class`);
    const known = byIp.get(ip);
    if (known !== undefined && known.cls !== cls) {
      fail(`line ${line}: ${ip} is listed twice, as "${known.cls}" and "${cls}"`);
    }
    byIp.set(ip, { fingerprint, cls });
  });
  if (byIp.size === 0) fail('it lists no address');
  return { source, taxonomy, byIp };
}
