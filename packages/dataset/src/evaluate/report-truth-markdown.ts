/** The truth tables of an evaluation (`--truth`) in report.md and in the summary the CLI prints. */
import type { PassiveFigures } from './passive-figures.ts';
import type { TruthFigures, TruthReport } from './truth-tables.ts';

const pct = (x: number | null): string => (x === null ? '–' : `${(x * 100).toFixed(1)} %`);
const cell = (s: string): string => s.replaceAll('|', '\\|');
const databaseName = (p: TruthReport['passive'][number]): string =>
  p.builtFrom === 'training-split' ? `${p.name} database (built from the training split)` : `${p.name} database`;

export function renderTruthMarkdown(t: TruthReport): string[] {
  const r = t.rows;
  const out = [`## Against the ground truth (${cell(t.source)})`, ''];
  out.push(
    `Rows: ${r.withTruth} of ${r.total} have a truth (test split: ${r.testWithTruth} of ${r.test}); ` +
      `${r.withoutTruth} rows' addresses are not in the truth file and are not scored against it` +
      (r.withoutTruthExamples.length > 0 ? ` (e.g. ${r.withoutTruthExamples.join(', ')})` : '') +
      '.',
    '',
    `Taxonomy: truth ${t.taxonomy.truth ?? 'unknown'}, version ${t.taxonomy.version ?? 'unknown'}` +
      (t.taxonomy.note === null ? ' (the same).' : `: ${t.taxonomy.note}.`),
    '',
  );

  out.push(
    '| who (rows scored) | rows | top-1 = truth | truth in top-2 | OS family = truth |',
    '|---|---:|---:|---:|---:|',
  );
  const line = (who: string, f: TruthFigures) =>
    `| ${who} | ${f.rows} | ${pct(f.top1)} | ${pct(f.top2)} | ${pct(f.familyAgreement)} |`;
  out.push(line("Nmap's label (every row with a truth; top-2: label_2)", t.nmap));
  for (const m of t.models) out.push(line(`${m.name} (test split)`, m.figures));
  const passiveLine = (who: string, f: PassiveFigures) =>
    `| ${who} | ${f.rows} | ${pct(f.classAgreement)} | – | ${pct(f.familyAgreement)} |`;
  for (const p of t.passive) {
    out.push(passiveLine(`${databaseName(p)} (test split)`, p.test));
    if (p.withTruth) out.push(passiveLine(`${databaseName(p)} (every row with a truth)`, p.withTruth));
  }
  out.push('');
  if (t.nmap.unlabelled > 0) out.push(`Nmap gave no usable label on ${t.nmap.unlabelled} rows (counted as wrong).`, '');

  out.push(...perClass("Nmap's label vs truth, per true class", t.nmap));
  const forest = t.models.find((m) => m.name === 'random-forest') ?? t.models.at(-1);
  if (forest) out.push(...perClass(`${forest.name} vs truth, per true class (test split)`, forest.figures));
  return out;
}

function perClass(title: string, f: TruthFigures): string[] {
  const out = [`### ${title}`, ''];
  out.push(
    '| true class | rows | top-1 = truth | truth in top-2 | most often said instead |',
    '|---|---:|---:|---:|---|',
  );
  for (const c of f.perClass) {
    out.push(
      `| ${cell(c.label)} | ${c.rows} | ${pct(c.top1)} | ${pct(c.top2)} | ${
        c.mostOftenInstead === null ? '–' : `${cell(c.mostOftenInstead)} (${c.mostOftenInsteadRows})`
      } |`,
    );
  }
  out.push('');
  return out;
}

/** The lines under the evaluation summary. */
export function renderTruthSummary(t: TruthReport): string[] {
  const out = [
    `  against the truth (${t.rows.withTruth} rows with one, ${t.rows.withoutTruth} without${t.taxonomy.note === null ? '' : `; ${t.taxonomy.note}`}):`,
  ];
  const f = (who: string, x: TruthFigures) =>
    `    ${who.padEnd(26)} top-1 ${pct(x.top1)}, truth in top-2 ${pct(x.top2)}, OS family ${pct(x.familyAgreement)}`;
  out.push(f("Nmap's label", t.nmap));
  for (const m of t.models) out.push(f(m.name, m.figures));
  for (const p of t.passive) {
    out.push(
      `    ${`${p.name} database`.padEnd(26)} class ${pct(
        p.test.classAgreement,
      )}, OS family ${pct(p.test.familyAgreement)} (test split)`,
    );
  }
  return out;
}
