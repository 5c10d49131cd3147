import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { CollectInputError } from '../collect-input-error.ts';
import { parseTargetLine, type TargetLine } from './target-line.ts';

/**
 * Streams a targets file line by line (never the whole file in memory),
 * yielding every understood line, malformed ones included so the caller can
 * report them with their line numbers and go on.
 */
export async function* readTargetFile(path: string): AsyncGenerator<TargetLine> {
  try {
    await access(path);
  } catch {
    throw new CollectInputError(`targets file ${path} cannot be read (does it exist?)`);
  }
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo += 1;
    const parsed = parseTargetLine(raw, lineNo);
    if (parsed !== null) yield parsed;
  }
}
