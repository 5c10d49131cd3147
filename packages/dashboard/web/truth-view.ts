/**
 * The ground-truth tables of an evaluation (`osfp dataset evaluate --truth`):
 * Nmap's label, each model and each p0f database against what the lab hosts
 * truly run, and Nmap per true class.
 */
import type { TruthReport } from '../src/api-types.ts';
import { fmt, h, table } from './dom.ts';

export function renderTruth(t: TruthReport): HTMLElement {
  const r = t.rows;
  const database = (p: TruthReport['passive'][number]) =>
    p.builtFrom === 'training-split' ? `${p.name} database (built from the training split)` : `${p.name} database`;
  return h(
    'section',
    { id: 'truth' },
    h('h3', {}, 'Against the ground truth'),
    h(
      'p',
      { class: 'muted' },
      `${t.source}: ${fmt.int(r.withTruth)} of ${fmt.int(r.total)} rows have a truth (test split ${fmt.int(r.testWithTruth)} of ${fmt.int(r.test)}); ${fmt.int(r.withoutTruth)} rows are not in the truth file.`,
      t.taxonomy.note === null ? '' : ` Taxonomy: ${t.taxonomy.note}.`,
    ),
    table(
      ['who', 'rows', 'top-1 = truth', 'truth in top-2', 'OS family = truth'],
      [
        [
          "Nmap's label",
          fmt.int(t.nmap.rows),
          fmt.pct(t.nmap.top1),
          fmt.pct(t.nmap.top2),
          fmt.pct(t.nmap.familyAgreement),
        ],
        ...t.models.map((m) => [
          `${m.name} (test split)`,
          fmt.int(m.figures.rows),
          fmt.pct(m.figures.top1),
          fmt.pct(m.figures.top2),
          fmt.pct(m.figures.familyAgreement),
        ]),
        ...t.passive.map((p) => [
          `${database(p)} (test split)`,
          fmt.int(p.test.rows),
          fmt.pct(p.test.classAgreement),
          '–',
          fmt.pct(p.test.familyAgreement),
        ]),
      ],
      { id: 'truth-summary' },
    ),
    h('h3', {}, "Nmap's label per true class"),
    table(
      ['true class', 'rows', 'top-1 = truth', 'truth in top-2', 'most often said instead'],
      t.nmap.perClass.map((c) => [
        c.label,
        fmt.int(c.rows),
        fmt.pct(c.top1),
        fmt.pct(c.top2),
        c.mostOftenInstead === null ? '–' : `${c.mostOftenInstead} (${fmt.int(c.mostOftenInsteadRows)})`,
      ]),
      { id: 'truth-nmap-per-class' },
    ),
  );
}
