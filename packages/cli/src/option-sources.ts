import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { z } from 'zod';
import { UsageError } from './usage-error.ts';

/**
 * Where an option's value may come from, weakest first: the schema's default,
 * a JSON config file (--config), the environment (OSFP_UPPER_SNAKE), the
 * command line. Each source is a flat record keyed by the option's camelCase
 * name; zod then validates and coerces the merged record once.
 */
export type RawOptions = Record<string, unknown>;

export function envName(key: string): string {
  return `OSFP_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** The OSFP_* variables that name one of `keys`. REDIS_URL is honoured as `redis` too, as most tools do. */
export function optionsFromEnv(keys: readonly string[], env: NodeJS.ProcessEnv = process.env): RawOptions {
  const raw: RawOptions = {};
  for (const key of keys) {
    const value = env[envName(key)];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  if (keys.includes('redis') && raw['redis'] === undefined && env['REDIS_URL']) raw['redis'] = env['REDIS_URL'];
  return raw;
}

export async function optionsFromFile(path: string | undefined): Promise<RawOptions> {
  if (path === undefined) return {};
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UsageError(`config file ${path} cannot be read (does it exist?)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`config file ${path} must hold a JSON object of option names to values`);
  }
  return parsed as RawOptions;
}

/** Only the options the user actually typed: commander's defaults must not outrank env and file. */
export function optionsFromCli(command: Command): RawOptions {
  const raw: RawOptions = {};
  for (const [key, value] of Object.entries(command.opts())) {
    if (command.getOptionValueSource(key) === 'cli' && key !== 'config') raw[key] = value;
  }
  return raw;
}

/** Validates merged options; the error lists every bad option with its message. */
export function validateOptions<S extends z.ZodType>(schema: S, sources: RawOptions[]): z.infer<S> {
  const merged = Object.assign({}, ...sources) as RawOptions;
  const result = schema.safeParse(merged);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const [key, ...rest] = issue.path.map(String);
    if (key === undefined) return `  ${issue.message}`;
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    const item = rest.length > 0 ? ` (item ${Number(rest[0]) + 1})` : '';
    return `  ${flag}${item} (or ${envName(key)}): ${issue.message}`;
  });
  throw new UsageError(`invalid options:\n${problems.join('\n')}`);
}

/** The options of `command`: its schema's defaults, then --config FILE, then OSFP_* variables, then the command line. */
export async function loadOptions<S extends z.ZodType>(
  command: Command,
  schema: S,
  keys: readonly string[],
): Promise<z.infer<S>> {
  const fromFile = await optionsFromFile(command.opts<{ config?: string }>().config);
  return validateOptions(schema, [fromFile, optionsFromEnv(keys), optionsFromCli(command)]);
}
