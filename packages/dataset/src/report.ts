/** Human-readable renderings of manifests, diffs and verification results, for the CLI. */
import type { VersionDiff } from './diff.ts';
import type { VersionManifest } from './manifest.ts';
import type { VerifyResult } from './verify.ts';
import type { DatasetSummary } from './versions.ts';

const UNLABELLED = '(no label)';

function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  rightAligned: ReadonlySet<number>,
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const pct = (n: number, total: number) => (total === 0 ? '-' : `${((100 * n) / total).toFixed(1)}%`);

export function formatDatasetList(datasets: readonly DatasetSummary[]): string {
  if (datasets.length === 0) return 'no datasets yet\n';
  const rows = datasets.flatMap((d) =>
    d.versions.map((v) => [`${d.name}@${v.version}`, String(v.rows), v.createdAt, v.contentSha256.slice(0, 12)]),
  );
  return `${table(['version', 'rows', 'created', 'content'], rows, new Set([1]))}\n`;
}

export function formatManifest(m: VersionManifest): string {
  const p = m.provenance;
  const out = [
    `${m.dataset}@${m.version}  (${m.rows} rows, parent ${m.parent === null ? '-' : `${m.dataset}@${m.parent}`})`,
    `created       ${m.createdAt}`,
    `content       sha256 ${m.contentSha256}`,
  ];
  if (m.derivedFrom)
    out.push(
      `derived from  ${m.derivedFrom.dataset}@${m.derivedFrom.version} by ${m.derivedFrom.operation} ${JSON.stringify(m.derivedFrom.detail)}`,
    );
  out.push(
    `tool          ${p.toolVersion}; nmap ${p.nmapVersion ?? '-'}; nmap-os-db sha256 ${p.nmapOsDbSha256 ?? '-'}`,
    `taxonomy      ${p.taxonomyVersion ?? '-'}; feature schema ${p.featureSchemaVersion}; ${m.schema.columns.length} columns`,
    '',
    'runs:',
    ...m.runs.map(
      (r) =>
        `  ${r.runId}  started ${r.startedAt}  targets ${r.targetsFile ?? '-'}${r.targetsSha256 ? ` (sha256 ${r.targetsSha256.slice(0, 12)})` : ''}`,
    ),
    '',
    'counts per stage:',
    ...Object.entries(m.counts).map(([stage, n]) => `  ${stage.padEnd(14)} ${n}`),
    '',
    'class histogram:',
    table(
      ['label', 'rows', 'share'],
      m.classHistogram.map((h) => [h.label ?? UNLABELLED, String(h.count), pct(h.count, m.rows)]),
      new Set([1, 2]),
    )
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
    '',
    'files:',
    ...Object.entries(m.files).map(
      ([name, f]) => `  ${name.padEnd(14)} ${String(f.bytes).padStart(12)} bytes  sha256 ${f.sha256}`,
    ),
  );
  return `${out.join('\n')}\n`;
}

export function formatDiff(d: VersionDiff): string {
  const out = [
    `${d.a.ref} (${d.a.rows} rows) -> ${d.b.ref} (${d.b.rows} rows), rows keyed by ip and port`,
    `  added       ${d.added}`,
    `  removed     ${d.removed}`,
    `  relabelled  ${d.relabelled}`,
    `  unchanged   ${d.unchanged}`,
    '',
    'class histogram change:',
    table(
      ['label', d.a.ref, d.b.ref, 'change'],
      d.histogram.map((h) => [
        h.label ?? UNLABELLED,
        String(h.a),
        String(h.b),
        h.delta > 0 ? `+${h.delta}` : String(h.delta),
      ]),
      new Set([1, 2, 3]),
    )
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
  ];
  if (d.relabelledSample.length > 0) {
    out.push('', `relabelled (first ${d.relabelledSample.length}):`);
    for (const r of d.relabelledSample)
      out.push(`  ${r.ip}:${r.port}  ${r.from ?? UNLABELLED} -> ${r.to ?? UNLABELLED}`);
  }
  return `${out.join('\n')}\n`;
}

export function formatVerify(v: VerifyResult): string {
  const out = v.files.map((f) => `  ${f.ok ? 'ok  ' : 'FAIL'} ${f.name}  sha256 ${f.actual ?? '(missing)'}`);
  out.push(`  ${v.contentSha256.ok ? 'ok  ' : 'FAIL'} content  sha256 ${v.contentSha256.actual ?? '(not computed)'}`);
  for (const p of v.problems) out.push(`  problem: ${p}`);
  out.push(v.ok ? `${v.ref}: verified, unchanged since it was built` : `${v.ref}: VERIFICATION FAILED`);
  return `${out.join('\n')}\n`;
}
