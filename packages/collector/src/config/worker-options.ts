import { isIP } from 'node:net';
import { z } from 'zod';
import { commaList, splitCommas } from './comma-list.ts';
import { isRedisUrl } from '../redis/redis-connection.ts';

export const WORKER_ROLES = ['probe', 'label'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

const roles = z.preprocess(
  splitCommas,
  z.array(z.enum(WORKER_ROLES, 'a role is probe or label')).min(1, 'give at least one role'),
);

/** Every option of `osfp worker`. Run settings (timeout, rate, User-Agent) come with the jobs, from the coordinator. */
export const WorkerOptionsSchema = z
  .object({
    redis: z
      .string({ error: 'give the Redis of the run: --redis URL (or REDIS_URL)' })
      .refine(isRedisUrl, 'expected a redis://host:port, rediss://host:port or unix:///path/to/socket URL'),
    role: roles.default(['probe', 'label']),
    concurrency: z.coerce.number().int().min(1).max(100_000).optional(),
    batches: z.coerce.number().int().min(1).max(64).default(1),
    labelProcesses: z.coerce.number().int().min(1).max(64).optional(),
    // Addresses of this machine for its Nmap processes to send from, one each.
    labelSources: commaList(z.string().refine((a) => isIP(a) !== 0, 'expected an IPv4 or IPv6 address')).default([]),
  })
  .strict();

export type WorkerOptions = z.infer<typeof WorkerOptionsSchema>;
export const WORKER_OPTION_KEYS = Object.keys(WorkerOptionsSchema.shape) as (keyof WorkerOptions)[];
