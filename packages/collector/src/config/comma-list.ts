import { z } from 'zod';

/** A comma-separated string (command line, env) as its items; anything else (a config file's array) as it is. */
export function splitCommas(value: unknown): unknown {
  return typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    : value;
}

/** A list option of `item`s. */
export const commaList = <T extends z.ZodType>(item: T) => z.preprocess(splitCommas, z.array(item));
