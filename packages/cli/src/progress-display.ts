import type { ProgressSnapshot, StageProgress } from '@osfp/collector';

const n = (v: number) => v.toLocaleString('en-US');

export function formatDuration(ms: number | null): string {
  if (ms === null) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A rate for people: "?" until known, one decimal below 10/s. */
export function formatRate(perSec: number | null, unit: string): string {
  if (perSec === null) return `? ${unit}/s`;
  const shown = perSec < 10 ? perSec.toFixed(1) : n(Math.round(perSec));
  return `${shown} ${unit}/s`;
}

/** "2m10s (label is the slowest stage)", "≥ 40s (...)" while a stage has no pace yet, "?" before any. */
export function formatEta(eta: ProgressSnapshot['eta']): string {
  if (eta.ms === null) return '?';
  const time = `${eta.lowerBound ? '≥ ' : ''}${formatDuration(eta.ms)}`;
  return eta.stage === null ? time : `${time} (${eta.stage} is the slowest stage)`;
}

function stageLine(name: string, counts: string, stage: StageProgress, total: number, unit: string): string {
  const rate = total > 0 && stage.batches >= total ? 'done' : formatRate(stage.countPerSec, unit);
  return `  ${name.padEnd(8)} ${counts.padEnd(40)} ${`${n(stage.batches)}/${n(total)} batches`.padEnd(22)} ${rate}`;
}

/** The multi-line panel for a terminal. */
export function formatProgress(s: ProgressSnapshot, options: { logFile?: string | null } = {}): string {
  const i = s.ingest;
  const lines = [
    `osfp collect ${s.runId} (${s.dataset}) — ${s.phase}, ${formatDuration(s.elapsedMs)}`,
    `  targets  read ${n(i.lines)} lines · names ${n(i.names)} · resolved ${n(i.resolved)} · unresolved ${n(i.unresolved)} · excluded ${n(i.excluded)} · malformed ${n(i.malformed)}`,
    `  hosts    ${n(s.hosts)} addresses in ${n(s.batches)} batches · ${n(s.enqueued - s.joined)} in flight (probing ${n(s.probing)}, labelling ${n(s.labelling)})`,
    stageLine('probe', `probed ${n(s.probed)} · responsive ${n(s.responsive)}`, s.stages.probe, s.batches, 'probes'),
    stageLine('label', `labelled ${n(s.labelled)}`, s.stages.label, s.batches, 'labels'),
    stageLine('write', `rows written ${n(s.written)}`, s.stages.write, s.batches, 'rows'),
    `  ETA      ${formatEta(s.eta)}`,
  ];
  if (options.logFile) lines.push(`  log      ${options.logFile} (JSON; warnings also above)`);
  return lines.join('\n');
}

/** The fields of one progress log line (off a terminal). */
export function progressLogFields(s: ProgressSnapshot): Record<string, unknown> {
  const rate = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
  return {
    run: s.runId,
    phase: s.phase,
    lines: s.ingest.lines,
    resolved: s.ingest.resolved,
    excluded: s.ingest.excluded,
    hosts: s.hosts,
    batches: s.batches,
    joined: s.joined,
    inFlight: s.enqueued - s.joined,
    probed: s.probed,
    responsive: s.responsive,
    labelled: s.labelled,
    written: s.written,
    batchesProbed: s.stages.probe.batches,
    batchesLabelled: s.stages.label.batches,
    probesPerSec: rate(s.stages.probe.countPerSec),
    labelsPerSec: rate(s.stages.label.countPerSec),
    rowsPerSec: rate(s.stages.write.countPerSec),
    etaMs: s.eta.ms,
    etaStage: s.eta.stage,
  };
}
