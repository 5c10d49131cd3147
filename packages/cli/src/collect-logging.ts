import { join, resolve } from 'node:path';
import { destination, multistream, pino, type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { TerminalPanel } from './terminal-panel.ts';

/** Where `osfp collect` logs go, and the panel they must not break. */
export interface CollectLogging {
  readonly logger: Logger;
  /** The live panel's terminal, on a terminal; null off one. */
  readonly panel: TerminalPanel | null;
  /** The file the JSON log goes to, when it does not go to stderr. */
  readonly logFile: string | null;
}

/** A file name that sorts by time: collect-20260102T030405Z.log. */
function defaultLogFile(dataDir: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return join(resolve(dataDir), 'logs', `collect-${stamp}.log`);
}

/**
 * On a terminal: the full JSON log goes to a file (named on the panel) and
 * warnings and errors are printed above the panel as one pretty line each, so
 * the panel is never broken. Off a terminal: the JSON log on stderr, as
 * always (or in `logFile` when one is given), greppable and machine-readable.
 */
export function collectLogging(options: {
  terminal: boolean;
  level: string;
  dataDir: string;
  logFile?: string | undefined;
  now?: Date;
}): CollectLogging {
  if (!options.terminal) {
    const logFile = options.logFile ?? null;
    const sink = logFile === null ? destination(2) : destination({ dest: logFile, mkdir: true, sync: true });
    return { logger: pino({ level: options.level }, sink), panel: null, logFile };
  }
  const logFile = options.logFile ?? defaultLogFile(options.dataDir, options.now ?? new Date());
  const file = destination({ dest: logFile, mkdir: true, sync: true });
  const panel = new TerminalPanel(process.stderr);
  const oneLine = pretty.prettyFactory({
    colorize: process.stderr.hasColors?.() ?? false,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname',
  });
  const screen = { write: (line: string) => panel.printAbove(oneLine(line)) };
  const logger = pino(
    { level: options.level },
    multistream([
      { level: options.level as Level, stream: file },
      { level: 'warn', stream: screen },
    ]),
  );
  panel.openOn();
  return { logger, panel, logFile };
}
