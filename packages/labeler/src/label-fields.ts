/**
 * From ranked Nmap guesses to the dataset's label columns. Pure: the same
 * guesses and taxonomy always give the same labels, which is what makes
 * relabelling without rescanning possible.
 */
import { NO_LABEL, unlabelledFields, type LabelFields } from '@osfp/dataset';
import { guessesFromJson, guessesToJson, rankMatches } from './nmap-result.ts';
import type { NmapOsClass, NmapOsMatch } from './nmap-result.ts';
import { classify } from './taxonomy.ts';
import type { Taxonomy } from './taxonomy.ts';

/**
 * Every osclass of every osmatch is a candidate, ranked by its own accuracy
 * (Nmap's order breaks ties). The top candidate gives `label` and the `os_*`
 * columns; `label_2` is the best candidate whose class differs, so a tie
 * between "Linux 3.X" and "Linux 4.X" shows up as label and label_2.
 * Guesses with no osclass at all cannot be classified: `no-match`.
 */
export function labelFromMatches(matches: readonly NmapOsMatch[], taxonomy: Taxonomy): LabelFields {
  const ranked = rankMatches(matches);
  const guesses = guessesToJson(ranked);
  const candidates = ranked
    .flatMap((m) => m.classes.map((c) => ({ c, accuracy: c.accuracy || m.accuracy })))
    .map((x, i) => ({ ...x, i, label: classify(x.c, taxonomy) }))
    .sort((a, b) => b.accuracy - a.accuracy || a.i - b.i);
  const top = candidates[0];
  if (!top) return unlabelledFields('no-match', guesses);
  const second = candidates.find((x) => x.label !== top.label);
  return {
    // How the scan went (nmap_closed_port, ...) is not in the guesses: labelHosts fills it in.
    ...NO_LABEL,
    label: top.label,
    label_acc: top.accuracy,
    label_2: second?.label ?? null,
    label_2_acc: second?.accuracy ?? null,
    os_vendor: nonEmpty(top.c.vendor),
    os_family: nonEmpty(top.c.osfamily),
    os_gen: nonEmpty(top.c.osgen),
    os_type: nonEmpty(top.c.type),
    os_cpe: firstCpe(top.c),
    nmap_guesses: guesses,
    label_status: 'ok',
  };
}

/**
 * Re-derives the label columns from a stored `nmap_guesses` value under a
 * (new) taxonomy: no Nmap, no packets. Rows whose nmap_guesses is null
 * (failed, timeout, skipped) have nothing to relabel and keep their status.
 */
export function relabel(nmapGuessesJson: string, taxonomy: Taxonomy): LabelFields {
  return labelFromMatches(guessesFromJson(nmapGuessesJson), taxonomy);
}

function nonEmpty(value: string | null): string | null {
  return value === null || value.trim() === '' ? null : value;
}

function firstCpe(c: NmapOsClass): string | null {
  return c.cpe[0] ?? null;
}
