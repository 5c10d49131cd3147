import { logUpdateStderr } from 'log-update';
import type { Logger } from 'pino';
import { formatProgress, rateAndEta, type ProgressSnapshot } from './run-progress.ts';

export interface ProgressReporter {
  start(snapshot: () => ProgressSnapshot): void;
  stop(): void;
}

/**
 * A live multi-line display on a terminal (log-update redraws it in place),
 * structured pino lines every `intervalMs` otherwise, so logs stay greppable.
 */
export function createProgressReporter(options: { mode: 'auto' | 'tty' | 'log'; intervalMs: number; logger: Logger }): ProgressReporter {
  const tty = options.mode === 'tty' || (options.mode === 'auto' && process.stderr.isTTY === true);
  let timer: NodeJS.Timeout | null = null;
  let snapshotOf: (() => ProgressSnapshot) | null = null;
  let collectStartedMs = Date.now();
  let sawCollecting = false;

  const tick = (): void => {
    if (!snapshotOf) return;
    const s = snapshotOf();
    if (!sawCollecting && s.phase === 'collecting') {
      sawCollecting = true;
      collectStartedMs = Date.now();
    }
    const rate = rateAndEta(s, collectStartedMs, Date.now());
    if (tty) logUpdateStderr(formatProgress(s, rate));
    else {
      options.logger.info(
        {
          run: s.runId, phase: s.phase, lines: s.ingest.lines, resolved: s.ingest.resolved, excluded: s.ingest.excluded,
          hosts: s.hosts, batches: s.batches, joined: s.joined, inFlight: s.enqueued - s.joined, probed: s.probed,
          responsive: s.responsive, labelled: s.labelled, written: s.written,
          probesPerSec: Math.round(rate.probesPerSec), etaMs: rate.etaMs,
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
