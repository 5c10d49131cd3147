/**
 * A learned database as a p0f 3 fingerprint file: a header citing the
 * dataset version it was learned from (so the file can always be traced to
 * its data) and saying how it was made, the `classes` line p0f requires, and
 * the `[tcp:response]` section, each signature under its own label line with
 * its support and purity as a comment. No clock goes into it: the same
 * version and options give the same file.
 */
import { sortedCounts } from './evidence.ts';
import { P0F_OS_CLASSES } from './class-label.ts';
import type { LearnedDatabase, LearnedSignature, LeftOutSignature } from './learn-database.ts';
import { formatLabel, formatSignature } from './signature-text.ts';

/** Where the rows came from: the version's manifest, and which of its rows were used. */
export interface DatabaseCitation {
  readonly dataset: string;
  readonly version: number;
  readonly contentSha256: string;
  /** sha256 of the version's data.parquet, as its manifest lists it. */
  readonly dataSha256: string | null;
  readonly taxonomyVersion: string | null;
  readonly nmapVersion: string | null;
  readonly nmapOsDbSha256: string | null;
  /** Rows in the version. */
  readonly versionRows: number;
  /** Which rows were learned from, in words (`all labelled rows`, `the training split of ...`). */
  readonly rowsUsed: string;
  /** The osfp version and command that wrote the file. */
  readonly toolVersion: string;
  readonly command: string;
}

/** Left-out signatures listed in the file beyond this many are only counted. */
const LEFT_OUT_LISTED = 100;

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
/** Text from the data going into a comment stays on its line. */
// eslint-disable-next-line no-control-regex
const oneLine = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, ' ');
const classList = (counts: ReadonlyMap<string, number>) =>
  sortedCounts(counts)
    .map(([cls, n]) => `${oneLine(cls)} ${n}`)
    .join(', ');

export function renderP0fDatabase(db: LearnedDatabase, cite: DatabaseCitation): string {
  const { minSupport, minPurity } = db.options;
  const generic = db.signatures.filter((s) => s.label.generic).length;
  const leftOutRows = db.leftOut.reduce((n, s) => n + s.evidence.rows, 0);
  const out: string[] = [
    ';',
    '; p0f 3 fingerprint database learned by osfp from a labelled dataset version',
    '; ---------------------------------------------------------------------------',
    ';',
    `; dataset       ${cite.dataset}@${cite.version}`,
    `; content       sha256 ${cite.contentSha256} (osfp dataset verify ${cite.dataset}@${cite.version})`,
    `; data file     data.parquet sha256 ${cite.dataSha256 ?? 'unknown'}`,
    `; taxonomy      ${cite.taxonomyVersion ?? 'unknown'}`,
    `; labels        Nmap ${cite.nmapVersion ?? 'unknown'}, nmap-os-db sha256 ${cite.nmapOsDbSha256 ?? 'unknown'}`,
    `; rows          ${cite.versionRows} in the version; learned from ${db.rows.learned}: ${oneLine(cite.rowsUsed)}` +
      (db.rows.unreadable > 0 ? ` (${db.rows.unreadable} with an unreadable p0f_sig skipped)` : ''),
    `; options       --min-support ${minSupport} --min-purity ${minPurity}`,
    `; written by    osfp ${cite.toolVersion}: ${oneLine(cite.command)}`,
    ';',
    `; ${db.signatures.length} signatures (${db.signatures.length - generic} naming a class, ${generic} only an OS family); ` +
      `${db.leftOut.length} left out (${leftOutRows} rows).`,
    `; On the rows it was learned from, this file matches ${pct(db.rows.matched / db.rows.learned)} (not counting ` +
      `p0f's fuzzy matches) and gives ${pct(db.rows.agreeing / db.rows.learned)} their own class.`,
    ';',
    '; How it was made:',
    "; - one signature per distinct SYN-ACK in p0f's database form: p0f's guess of the",
    ';   initial TTL instead of ttl+distance, every other field as observed;',
    "; - generalisation: MSS, payload class, window scale, then window become '*' where",
    ';   the signatures that differ only in that field, pooled, keep one class on at',
    `;   least ${minPurity} of their rows and none of them (${minSupport}+ rows) is clearly another class;`,
    `; - label: the class of at least ${minPurity} of a signature's rows (s:); else, if one OS`,
    `;   family holds at least ${minPurity} of them, that family alone as a generic label (g:),`,
    ';   which p0f uses only when no specific signature matches; else the signature is',
    `;   left out, as is any signature with fewer than ${minSupport} rows (listed at the end);`,
    '; - order: most specific first (p0f takes the first exact match); no signature is',
    ';   covered by an earlier one (p0f would refuse the file), and every signature is',
    ";   reached by its own rows' SYN-ACKs under p0f's matching rules.",
    "; Each signature's comment: its rows (support), the share of its label (purity), the",
    '; classes its rows carry.',
    '',
    `classes = ${P0F_OS_CLASSES.join(',')}`,
    '',
    '[tcp:response]',
    '',
  ];
  for (const s of db.signatures) out.push(...signatureLines(s), '');
  out.push(...leftOutLines(db.leftOut));
  return `${out.join('\n')}\n`;
}

function signatureLines(s: LearnedSignature): string[] {
  const what = s.cls === null ? 'family' : 'class';
  const seen = s.evidence.observed.length;
  return [
    `; ${s.evidence.rows} rows, ${what} purity ${pct(s.majority.purity)}: ${classList(s.evidence.classes)}` +
      ` (${seen} distinct SYN-ACK${seen === 1 ? '' : 's'})`,
    `label = ${formatLabel(s.label)}`,
    `sig   = ${formatSignature(s.fields)}`,
  ];
}

function leftOutLines(leftOut: readonly LeftOutSignature[]): string[] {
  if (leftOut.length === 0) return [];
  const why = (s: LeftOutSignature) => {
    switch (s.reason) {
      case 'support':
        return 'too few rows';
      case 'disagreement':
        return 'rows disagree';
      case 'covered':
        return `covered by ${s.by ? formatSignature(s.by.fields) : 'an earlier signature'}`;
      case 'shadowed':
        return `its SYN-ACKs all land on ${s.by ? formatSignature(s.by.fields) : 'no signature'}`;
    }
  };
  const out = ['; Left out (most rows first):'];
  for (const s of leftOut.slice(0, LEFT_OUT_LISTED)) {
    out.push(`;   ${s.evidence.text}  ${s.evidence.rows} rows, ${why(s)}: ${classList(s.evidence.classes)}`);
  }
  const rest = leftOut.slice(LEFT_OUT_LISTED);
  if (rest.length > 0) {
    out.push(`;   ... and ${rest.length} more (${rest.reduce((n, s) => n + s.evidence.rows, 0)} rows)`);
  }
  return out;
}
