/** `osfp dataset evaluate`: evaluate one version directory and store the report beside it. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { evaluateRows, type EvaluateOptions, type Evaluation } from './evaluate-rows.ts';
import { readEvaluationRows } from './read-evaluation-rows.ts';
import { writeEvaluation } from './report-files.ts';
import { renderReportMarkdown } from './report-markdown.ts';

/** The version's data file, as the dataset package lays versions out. */
const VERSION_DATA_FILE = 'data.parquet';

export async function evaluateVersion(
  versionDir: string,
  options: EvaluateOptions,
): Promise<Evaluation & { readonly dir: string; readonly markdown: string }> {
  const rows = await readEvaluationRows(join(versionDir, VERSION_DATA_FILE));
  const evaluation = evaluateRows(rows, options, await subjectOf(versionDir));
  const dir = await writeEvaluation(versionDir, evaluation);
  return { ...evaluation, dir, markdown: renderReportMarkdown(evaluation.report) };
}

/** Names the version in the report from its manifest (name, version, content hash), when there is one. */
async function subjectOf(versionDir: string): Promise<Record<string, string | number | null>> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(join(versionDir, 'manifest.json'), 'utf8'));
  } catch {
    return {};
  }
  if (typeof manifest !== 'object' || manifest === null) return {};
  const subject: Record<string, string | number | null> = {};
  for (const [key, value] of Object.entries(manifest)) {
    if (
      ['name', 'dataset', 'version', 'contentHash', 'content_hash'].includes(key) &&
      (typeof value === 'string' || typeof value === 'number')
    ) {
      subject[key] = value;
    }
  }
  // The taxonomy its labels are under: the truth tables compare it with the truth's.
  const provenance = (manifest as { provenance?: { taxonomyVersion?: unknown } }).provenance;
  if (typeof provenance?.taxonomyVersion === 'string') subject['taxonomyVersion'] = provenance.taxonomyVersion;
  return subject;
}
