import type { Logger } from 'pino';
import type { ProgressReporter, ProgressSnapshot } from '@osfp/collector';
import { formatProgress, progressLogFields } from './progress-display.ts';
import type { TerminalPanel } from './terminal-panel.ts';

/**
 * A live panel redrawn in place on a terminal; off a terminal, structured
 * pino lines every `intervalMs`, so logs stay greppable.
 */
export function createProgressReporter(options: {
  panel: TerminalPanel | null;
  intervalMs: number;
  logger: Logger;
  logFile?: string | null;
}): ProgressReporter {
  const { panel } = options;
  let timer: NodeJS.Timeout | null = null;
  let snapshotOf: (() => ProgressSnapshot) | null = null;

  const tick = (): void => {
    if (!snapshotOf) return;
    const s = snapshotOf();
    if (panel) panel.render(formatProgress(s, { logFile: options.logFile ?? null }));
    else options.logger.info(progressLogFields(s), 'progress');
  };

  return {
    start(snapshot) {
      snapshotOf = snapshot;
      timer = setInterval(tick, panel ? 250 : options.intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
      tick();
    },
  };
}
