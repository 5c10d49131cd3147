import { basename } from 'node:path';
import { z } from 'zod';
import { OSFP_VERSION, validateDatasetName } from '@osfp/dataset';
import { LABEL_DEFAULTS } from '@osfp/labeler';
import { parseDuration } from './duration.ts';

const list = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (v) =>
      typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '')
        : v,
    z.array(item),
  );

const duration = () =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (e.g. 500ms, 5s, 10m, 12h, 30d)` });
      return z.NEVER;
    }
    return ms;
  });

const intIn = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.preprocess(
  (v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v),
  z.boolean(),
);

/** `all`, `none` or `sample:FRACTION`, as the policy the coordinator applies per host. */
export type LabelPolicy =
  { readonly mode: 'all' } | { readonly mode: 'none' } | { readonly mode: 'sample'; readonly fraction: number };

const labelPolicy = z.string().transform((v, ctx): LabelPolicy => {
  if (v === 'all' || v === 'none') return { mode: v };
  const m = /^sample:(0(?:\.\d+)?|1(?:\.0+)?)$/.exec(v);
  if (m) return { mode: 'sample', fraction: Number(m[1]) };
  ctx.addIssue({
    code: 'custom',
    message: `"${v}" is not all, none or sample:FRACTION (a number from 0 to 1, e.g. sample:0.1)`,
  });
  return z.NEVER;
});

/** The store's own rule (names become directories), checked before anything is written. */
const datasetName = z.string().superRefine((v, ctx) => {
  try {
    validateDatasetName(v);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

const redisUrl = z
  .string()
  .refine((v) => /^rediss?:\/\/|^unix:\/\//.test(v), 'expected a redis://, rediss:// or unix:// URL');

/** Every option of `osfp collect`, validated; also what a run persists so --resume continues it unchanged. */
export const CollectOptionsSchema = z
  .object({
    targets: z.string().min(1).optional(),
    resume: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'a run id has only letters, digits, ".", "_" and "-"')
      .optional(),
    dataDir: z.string().min(1).default('./osfp-data'),
    dataset: datasetName.optional(),
    ports: list(intIn(1, 65535)).default([80]),
    batchSize: intIn(1, 100_000).default(256),
    concurrency: intIn(1, 100_000).default(256),
    timeout: duration().default(5000),
    rate: z.coerce.number().min(0).default(0),
    contact: z.url('expected a URL (http://, https:// or mailto:)').optional(),
    label: labelPolicy.default({ mode: 'all' }),
    labelMaxAge: duration().optional(),
    labelTimeout: duration().default(600_000),
    // The labeler's measured default (16 Nmap processes x 16 hosts): fewer leave a 2-core worker idle on Nmap's timeouts.
    labelProcesses: intIn(1, 64).default(LABEL_DEFAULTS.processes),
    dnsServer: list(z.string().regex(/^[\d.]+(:\d+)?$/, 'expected an IPv4 address, optionally with :port')).default([]),
    dnsConcurrency: intIn(1, 10_000).default(64),
    dnsTimeout: duration().default(3000),
    exclude: list(z.string()).default([]),
    allow: list(z.string()).default([]),
    redis: redisUrl.optional(),
    localWorkers: bool.default(true),
    maxInFlight: intIn(1, 10_000).default(8),
    lab: z.union([z.string(), z.literal(true)]).optional(),
    // Set by `collect --lab` from the lab's state, so the run (and every version built from it) says
    // which network profile its lab had: the profile as the lab applied it, or null for a free network.
    labProfile: z.looseObject({ name: z.string() }).nullable().optional(),
    progress: z.enum(['auto', 'tty', 'log']).default('auto'),
    logInterval: duration().default(10_000),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.targets === undefined && o.resume === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['targets'],
        message: 'give a targets file (--targets FILE) or a run to resume (--resume RUN_ID)',
      });
    }
    if (o.rate > 0 && o.rate < 1)
      ctx.addIssue({ code: 'custom', path: ['rate'], message: 'a rate is at least 1 probe/s (0 = unlimited)' });
  });

export type CollectOptions = z.infer<typeof CollectOptionsSchema>;
export const COLLECT_OPTION_KEYS = Object.keys(CollectOptionsSchema.shape) as (keyof CollectOptions)[];

/** The dataset name a targets file gives when --dataset is not set: `lab-tranco.csv` -> `lab-tranco`. */
export function datasetNameFor(targetsFile: string): string {
  const stem = basename(targetsFile)
    .replace(/\.[^.]*$/, '')
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 100);
  return stem === '' ? 'dataset' : validateDatasetName(stem);
}

/** major.minor: what a server operator needs to tell releases apart. */
const USER_AGENT_VERSION = OSFP_VERSION.split('.').slice(0, 2).join('.');

/** An honest User-Agent: names the project and, when given, how to reach whoever runs it. */
export function userAgentFor(contact: string | undefined): string {
  return contact
    ? `osfp/${USER_AGENT_VERSION} (passive OS fingerprinting research; +${contact})`
    : `osfp/${USER_AGENT_VERSION} (passive OS fingerprinting research dataset)`;
}
