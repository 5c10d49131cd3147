import { logUpdateStderr } from 'log-update';
import type { Logger } from 'pino';
import type { ProgressReporter, ProgressSnapshot } from '@osfp/collector';
import { formatProgress, rateAndEta, type RateBaseline } from './progress-display.ts';

/**
 * A live multi-line display on a terminal (log-update redraws it in place),
 * structured pino lines every `intervalMs` otherwise, so logs stay greppable.
 */
export function createProgressReporter(options: {
  mode: 'auto' | 'tty' | 'log';
  intervalMs: number;
  logger: Logger;
}): ProgressReporter {
  const tty = options.mode === 'tty' || (options.mode === 'auto' && process.stderr.isTTY === true);
  let timer: NodeJS.Timeout | null = null;
  let snapshotOf: (() => ProgressSnapshot) | null = null;
  let base: RateBaseline | null = null;

  const tick = (): void => {
    if (!snapshotOf) return;
    const s = snapshotOf();
    const now = Date.now();
    if (base === null && s.phase === 'collecting') base = { atMs: now, probed: s.probed, joined: s.joined };
    const rate = base === null ? { probesPerSec: null, etaMs: null } : rateAndEta(s, base, now);
    if (tty) logUpdateStderr(formatProgress(s, rate));
    else {
      options.logger.info(
        {
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
          probesPerSec: rate.probesPerSec === null ? null : Math.round(rate.probesPerSec),
          etaMs: rate.etaMs,
        },
        'progress',
      );
    }
  };

  return {
    start(snapshot) {
      snapshotOf = snapshot;
      timer = setInterval(tick, tty ? 250 : options.intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
      tick();
      if (tty) logUpdateStderr.done();
    },
  };
}
