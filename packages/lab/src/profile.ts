/**
 * Network profiles: the conditions a lab's hosts sit behind. Without one the
 * lab is a free network (sub-millisecond round trips, no loss, every port
 * answering); `internet` is what users meet when they scan the real thing,
 * and a JSON file gives any other. A profile is validated here, before the
 * lab is touched, with errors that name the file and the field.
 *
 * It applies to every host of the lab: emulated OSes get it in their
 * responder, kernel personalities through a path bridge in front of their
 * namespace (`path-bridge/`). Only SYN cookies differ: a kernel decides them
 * per namespace (`net.ipv4.tcp_syncookies`), so `kernelSynCookies` names the
 * personalities that use them, while `synCookies` is a share of emulated hosts.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { z } from 'zod';
import { DEFAULT_OPEN_PORTS, type Distribution, type PathSpec } from './emulator/path.ts';
import { LabError } from './lab-error.ts';
import { PERSONALITIES } from './personalities.ts';

export interface LabProfile extends PathSpec {
  /** Shown by `lab status` and recorded in the runs collected in the lab. */
  name: string;
  description?: string;
  /** Kernel personalities whose namespace answers every SYN with a SYN cookie (tcp_syncookies=2). */
  kernelSynCookies?: string[];
}

/**
 * Servers 20-300 ms away (lognormal round trips, median 80 ms), 1 % loss each
 * way, a little duplication and reordering, a third of the hosts behind a
 * firewall that lets only the web ports through, and some SYN cookies.
 */
export const INTERNET_PROFILE: LabProfile = {
  name: 'internet',
  description:
    'servers 20-300 ms away (median 80 ms), 1 % loss each way, some duplication and reordering, 35 % of hosts firewalled to ports 80/443, some SYN cookies',
  rtt: { kind: 'lognormal', medianMs: 80, sigma: 0.6, minMs: 20, maxMs: 300 },
  jitter: { kind: 'uniform', minMs: 0, maxMs: 2 },
  lossIn: 0.01,
  lossOut: 0.01,
  duplicate: 0.005,
  reorder: 0.005,
  reorderMs: 20,
  firewalled: 0.35,
  openPorts: [...DEFAULT_OPEN_PORTS],
  synCookies: 0.1,
  kernelSynCookies: ['bsd'],
};

/** Built-in profiles by name; `none` is the free network. */
export const BUILTIN_PROFILES: Readonly<Record<string, LabProfile>> = { internet: INTERNET_PROFILE };

export class LabProfileError extends LabError {}

/** One-way or round-trip times are bounded: a profile is a network, not a stalled one. */
const MAX_MS = 10_000;
const ms = z.number().finite().min(0).max(MAX_MS);
const share = z.number().min(0).max(1);

const distribution = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fixed'), ms }),
  z
    .strictObject({ kind: z.literal('uniform'), minMs: ms, maxMs: ms })
    .refine((d) => d.minMs <= d.maxMs, 'minMs must not exceed maxMs'),
  z
    .strictObject({
      kind: z.literal('lognormal'),
      medianMs: ms.positive(),
      sigma: z.number().min(0).max(3),
      minMs: ms.optional(),
      maxMs: ms.optional(),
    })
    .refine((d) => (d.minMs ?? 0) <= (d.maxMs ?? Infinity), 'minMs must not exceed maxMs'),
]);

const profileSchema = z
  .strictObject({
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/,
        '1-40 letters, digits, ".", "_" or "-", starting with a letter or digit',
      ),
    description: z.string().max(300).optional(),
    /** A built-in profile this one starts from (its fields are overridden by the ones given here). */
    extends: z.string().optional(),
    delay: distribution.optional(),
    rtt: distribution.optional(),
    jitter: distribution.optional(),
    lossIn: share.optional(),
    lossOut: share.optional(),
    duplicate: share.optional(),
    reorder: share.optional(),
    reorderMs: ms.optional(),
    firewalled: z.union([z.boolean(), share]).optional(),
    openPorts: z.array(z.number().int().min(1).max(65535)).min(1).optional(),
    synCookies: share.optional(),
    kernelSynCookies: z
      .array(
        z.enum(
          PERSONALITIES.map((p) => p.name),
          { error: `not a personality; use ${PERSONALITIES.map((p) => p.name).join(', ')}` },
        ),
      )
      .optional(),
  })
  .refine((p) => !(p.delay && p.rtt), { message: 'give either rtt (round trip) or delay (one way), not both' });

/**
 * Validates a profile object (as read from a file): a copy with defaults
 * resolved (`extends`), or a LabProfileError naming `where` and each bad field.
 */
export function parseProfile(value: unknown, where: string): LabProfile {
  const parsed = profileSchema.safeParse(value);
  if (!parsed.success) {
    throw new LabProfileError(`${where} is not a valid lab profile:\n${z.prettifyError(parsed.error)}`);
  }
  // JSON has no undefined: what zod leaves as `key: undefined` is simply absent in a LabProfile.
  const { extends: base, ...own } = JSON.parse(JSON.stringify(parsed.data)) as LabProfile & { extends?: string };
  if (base === undefined) return own;
  const parent = BUILTIN_PROFILES[base];
  if (!parent) {
    throw new LabProfileError(
      `${where}: "extends": "${base}" is not a built-in profile (${Object.keys(BUILTIN_PROFILES).join(', ')})`,
    );
  }
  const merged: LabProfile = { ...parent, ...own };
  // An own delay replaces the parent's rtt (and the other way round): one base delay per host.
  if (own.delay) delete merged.rtt;
  if (own.rtt) delete merged.delay;
  return merged;
}

/**
 * The profile `spec` names: a built-in name (`internet`), `none` (null: the
 * free network), or a JSON file (a path, or anything ending in .json).
 * Unknown names and unreadable or invalid files are LabProfileErrors.
 */
export function loadProfile(spec: string): LabProfile | null {
  if (spec === 'none') return null;
  const builtin = BUILTIN_PROFILES[spec];
  if (builtin) return structuredClone(builtin);
  if (!/[/\\]/.test(spec) && extname(spec) !== '.json') {
    throw new LabProfileError(
      `lab profile "${spec}" is unknown: use ${[...Object.keys(BUILTIN_PROFILES), 'none'].join(', ')}, or a JSON file (e.g. ./my-profile.json)`,
    );
  }
  let text: string;
  try {
    text = readFileSync(spec, 'utf8');
  } catch (error) {
    throw new LabProfileError(`lab profile file "${spec}" cannot be read: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new LabProfileError(`lab profile file "${spec}" is not JSON: ${(error as Error).message}`);
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !('name' in value)) {
    value = { name: basename(spec, extname(spec)).replace(/[^A-Za-z0-9._-]/g, '-'), ...value };
  }
  return parseProfile(value, `lab profile file "${spec}"`);
}

/** Whether two profiles (or their absence) are the same conditions. */
export function sameProfile(a: LabProfile | null | undefined, b: LabProfile | null | undefined): boolean {
  return JSON.stringify(canonical(a ?? null)) === JSON.stringify(canonical(b ?? null));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

/** The profile's conditions on every host's path (what the responders and path bridges apply). */
export function profilePath(profile: LabProfile): PathSpec {
  const { name: _name, description: _description, kernelSynCookies: _cookies, ...path } = profile;
  return path;
}

/** One line for `lab status` and `lab up`: what the profile does, in numbers. */
export function describeProfile(profile: LabProfile | null | undefined): string {
  if (!profile) return 'none (a free network: sub-millisecond round trips, no loss, every port answering)';
  const parts: string[] = [];
  const dist = (d: Distribution): string =>
    d.kind === 'fixed'
      ? `${d.ms} ms`
      : d.kind === 'uniform'
        ? `${d.minMs}-${d.maxMs} ms`
        : `lognormal median ${d.medianMs} ms (${d.minMs ?? 0}-${d.maxMs ?? d.medianMs * 50} ms)`;
  if (profile.rtt) parts.push(`RTT ${dist(profile.rtt)}`);
  if (profile.delay) parts.push(`one-way delay ${dist(profile.delay)}`);
  if (profile.jitter) parts.push(`jitter ${dist(profile.jitter)}`);
  const pct = (x: number) => `${+(100 * x).toFixed(2)} %`;
  if (profile.lossIn || profile.lossOut)
    parts.push(`loss ${pct(profile.lossIn ?? 0)} in / ${pct(profile.lossOut ?? 0)} out`);
  if (profile.duplicate) parts.push(`duplicate ${pct(profile.duplicate)}`);
  if (profile.reorder) parts.push(`reorder ${pct(profile.reorder)} (+${profile.reorderMs ?? 10} ms)`);
  if (profile.firewalled) {
    const who = profile.firewalled === true ? 'every host' : `${pct(profile.firewalled)} of hosts`;
    parts.push(`${who} firewalled to TCP ${(profile.openPorts ?? DEFAULT_OPEN_PORTS).join(',')}`);
  }
  if (profile.synCookies) parts.push(`SYN cookies on ${pct(profile.synCookies)} of emulated hosts`);
  if (profile.kernelSynCookies?.length)
    parts.push(`SYN cookies in personalities ${profile.kernelSynCookies.join(',')}`);
  return `${profile.name}: ${parts.join(', ') || 'no conditions'}`;
}
