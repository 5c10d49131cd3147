/**
 * The label taxonomy: how Nmap's osclass (vendor, osfamily, osgen, type)
 * becomes one of the dataset's classes (`Linux 4.X`, `Windows 2016`,
 * `embedded`, ...). It is data, not code, and carries a version, so a dataset
 * can be relabelled from its stored `nmap_guesses` when the rules change,
 * without scanning anything again.
 */
import { z } from 'zod';
import type { NmapOsClass } from './nmap-result.ts';

const Values = z.array(z.string()).min(1);

export const TaxonomyRuleSchema = z.object({
  /** Why the rule exists: read by the people who change the table. */
  why: z.string().optional(),
  /** Every condition given must hold. Values compare case-insensitively and exactly. */
  when: z.object({
    type: Values.optional(),
    notType: Values.optional(),
    vendor: Values.optional(),
    osfamily: Values.optional(),
    osgen: Values.optional(),
  }),
  /** The class, with {vendor}, {osfamily}, {osgen} and {type} replaced by the osclass's values. */
  label: z.string().min(1),
});
export type TaxonomyRule = z.infer<typeof TaxonomyRuleSchema>;

export const TaxonomySchema = z.object({
  /** Recorded in every dataset manifest; bump it whenever a rule changes. */
  version: z.string().min(1),
  /** Tried in order; the first rule whose conditions hold names the class. */
  rules: z.array(TaxonomyRuleSchema),
  /** Used when no rule holds (same placeholders); an empty result becomes "Other". */
  fallback: z.string(),
});
export type Taxonomy = z.infer<typeof TaxonomySchema>;

const LINUX_GENERATIONS = ['2.6.X', '3.X', '4.X', '5.X'];

/**
 * Version 1: the classes of the seed write-up (Linux 2.6.X to 5.X, Linux
 * (Other), FreeBSD N.X, OpenBSD N.X, Windows 2012/2016, embedded), extended
 * naturally to the rest of nmap-os-db's families.
 */
export const DEFAULT_TAXONOMY: Taxonomy = {
  version: 'osfp-taxonomy-1',
  rules: [
    {
      why: 'nmap-os-db files appliances under the osfamily "embedded"',
      when: { osfamily: ['embedded'] },
      label: 'embedded',
    },
    {
      why: 'the seed folds every non-general-purpose device (router, WAP, printer, NAS, webcam...) into one class, whatever kernel it runs',
      when: { notType: ['general purpose'] },
      label: 'embedded',
    },
    { when: { osfamily: ['Linux'], osgen: LINUX_GENERATIONS }, label: 'Linux {osgen}' },
    { why: 'the seed keeps only 2.6.X to 5.X apart', when: { osfamily: ['Linux'] }, label: 'Linux (Other)' },
    { when: { osfamily: ['Windows'] }, label: 'Windows {osgen}' },
    { when: { osfamily: ['FreeBSD', 'OpenBSD', 'NetBSD', 'DragonFly BSD'] }, label: '{osfamily} {osgen}' },
    {
      why: "nmap-os-db names Apple's OS three ways over the years",
      when: { osfamily: ['Mac OS X', 'OS X', 'macOS'] },
      label: 'macOS {osgen}',
    },
  ],
  fallback: '{osfamily} {osgen}',
};

/** Checks a taxonomy read from elsewhere (a JSON file), naming what is wrong. */
export function parseTaxonomy(value: unknown, source = 'taxonomy'): Taxonomy {
  const parsed = TaxonomySchema.safeParse(value);
  if (!parsed.success) throw new Error(`${source} is not a valid label taxonomy: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The dataset class of one osclass under a taxonomy. */
export function classify(osclass: NmapOsClass, taxonomy: Taxonomy): string {
  const rule = taxonomy.rules.find((r) => holds(r.when, osclass));
  const label = fill(rule?.label ?? taxonomy.fallback, osclass);
  return label === '' ? 'Other' : label;
}

function holds(when: TaxonomyRule['when'], c: NmapOsClass): boolean {
  const is = (values: readonly string[] | undefined, actual: string | null) =>
    values === undefined || values.some((v) => v.toLowerCase() === (actual ?? '').toLowerCase());
  return (
    is(when.type, c.type) &&
    (when.notType === undefined || !is(when.notType, c.type)) &&
    is(when.vendor, c.vendor) &&
    is(when.osfamily, c.osfamily) &&
    is(when.osgen, c.osgen)
  );
}

function fill(template: string, c: NmapOsClass): string {
  const values: Record<string, string> = { vendor: c.vendor, osfamily: c.osfamily, osgen: c.osgen ?? '', type: c.type };
  return template
    .replace(/\{(vendor|osfamily|osgen|type)\}/g, (_, key: string) => values[key] ?? '')
    .replace(/\s+/g, ' ')
    .trim();
}
