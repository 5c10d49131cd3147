import { isIP } from 'node:net';
import { basename } from 'node:path';
import { IP_VERSION_CHOICES, parseAddress, parseAddressCidr } from '../targets/address.ts';
import { z } from 'zod';
import { OSFP_VERSION, validateDatasetName, validateRunId } from '@osfp/dataset';
import { LABEL_DEFAULTS } from '@osfp/labeler';
import { isRedisUrl } from '../redis/redis-connection.ts';
import { commaList } from './comma-list.ts';
import { formatDurationMs, parseDuration } from './duration.ts';

/** A duration in milliseconds from text such as `5s` (a bare number is seconds), within [minMs, maxMs]. */
const duration = (minMs: number, maxMs: number) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === null) {
      ctx.addIssue({
        code: 'custom',
        message: `"${v}" is not a duration (e.g. 500ms, 5s, 10m, 12h, 30d; a bare number is seconds)`,
      });
      return z.NEVER;
    }
    if (ms < minMs || ms > maxMs) {
      ctx.addIssue({
        code: 'custom',
        message: `"${v}" is out of range: from ${formatDurationMs(minMs)} to ${formatDurationMs(maxMs)}`,
      });
      return z.NEVER;
    }
    return ms;
  });

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

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

function isAddressOrCidr(text: string): boolean {
  try {
    if (parseAddress(text, false)) return true;
    parseAddressCidr(text);
    return true;
  } catch {
    return false;
  }
}

/** The store's own rule for names that become directories, checked before anything is written. */
const pathName = (check: (v: string) => string) =>
  z.string().superRefine((v, ctx) => {
    try {
      check(v);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });
const datasetName = pathName(validateDatasetName);
const runId = pathName(validateRunId);

const redisUrl = z
  .string()
  .refine(isRedisUrl, 'expected a redis://host:port, rediss://host:port or unix:///path/to/socket URL');

/**
 * Defaults of the options that set a worker's pace, measured at internet
 * round trips (docs/benchmarks.md says against what).
 */
export const COLLECT_DEFAULTS = {
  /** Addresses per batch: one probe job and one label job each. */
  batchSize: 256,
  /** Probes in flight per worker. */
  concurrency: 256,
  /** Per-target probe deadline, ms. */
  timeoutMs: 5000,
  /** Batches enqueued and not yet written. */
  maxInFlight: 8,
} as const;

/** Every option of `osfp collect`, validated; also what a run persists so --resume continues it unchanged. */
export const CollectOptionsSchema = z
  .object({
    targets: z.string().min(1).optional(),
    resume: runId.optional(),
    dataDir: z.string().min(1).default('./osfp-data'),
    dataset: datasetName.optional(),
    ports: commaList(intIn(1, 65535)).default([80]),
    // IPv4 unless asked: a run keeps the meaning it had before IPv6 (resume, diffs against IPv4 versions);
    // labelling is the heavy stage and a dual-stack name's two addresses are mostly one machine, so
    // `both` about doubles the Nmap time for few new labels; and on a scanner without an IPv6
    // route every AAAA would only become an `unreachable` probe.
    ipVersion: z.enum(IP_VERSION_CHOICES).default('4'),
    batchSize: intIn(1, 100_000).default(COLLECT_DEFAULTS.batchSize),
    concurrency: intIn(1, 100_000).default(COLLECT_DEFAULTS.concurrency),
    timeout: duration(100, HOUR).default(COLLECT_DEFAULTS.timeoutMs),
    rate: z.coerce.number().min(0).default(0),
    contact: z.url('expected a URL (http://, https:// or mailto:)').optional(),
    label: labelPolicy.default({ mode: 'all' }),
    labelMaxAge: duration(1000, 3650 * DAY).optional(),
    labelTimeout: duration(1000, 7 * DAY).default(600_000),
    // The labeler's measured default (16 Nmap processes x 16 hosts): fewer leave a 2-core worker idle on Nmap's timeouts.
    labelProcesses: intIn(1, 64).default(LABEL_DEFAULTS.processes),
    // Addresses of this machine for the local workers' Nmap processes to send from, one each (`--lab`: the lab's).
    labelSources: commaList(z.string().refine((a) => isIP(a) !== 0, 'expected an IPv4 or IPv6 address')).default([]),
    dnsServer: commaList(
      z.string().regex(/^[\d.]+(:\d+)?$/, 'expected an IPv4 address, optionally with :port'),
    ).default([]),
    dnsConcurrency: intIn(1, 10_000).default(64),
    dnsTimeout: duration(100, 10 * 60_000).default(3000),
    exclude: commaList(z.string()).default([]),
    allow: commaList(
      z
        .string()
        .refine(isAddressOrCidr, 'expected an IPv4/IPv6 address or CIDR block, e.g. 198.18.0.0/15 or fd00:18::/32'),
    ).default([]),
    redis: redisUrl.optional(),
    localWorkers: bool.default(true),
    maxInFlight: intIn(1, 10_000).default(COLLECT_DEFAULTS.maxInFlight),
    lab: z.union([z.string(), z.literal(true)]).optional(),
    // Set by `collect --lab` from the lab's state, so the run (and every version built from it) says
    // which network profile its lab had: the profile as the lab applied it, or null for a free network.
    labProfile: z.looseObject({ name: z.string() }).nullable().optional(),
    progress: z.enum(['auto', 'tty', 'log']).default('auto'),
    logInterval: duration(100, DAY).default(10_000),
    logFile: z.string().min(1).optional(),
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
