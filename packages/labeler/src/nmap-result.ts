/**
 * What one Nmap OS detection says about one host, in the shape the labeler
 * keeps: every osmatch, ranked as Nmap ranked it, with every osclass.
 */
import { z } from 'zod';

export const NmapOsClassSchema = z.object({
  type: z.string(),
  vendor: z.string(),
  osfamily: z.string(),
  osgen: z.string().nullable(),
  accuracy: z.number().int().min(0).max(100),
  cpe: z.array(z.string()),
});
export type NmapOsClass = z.infer<typeof NmapOsClassSchema>;

export const NmapOsMatchSchema = z.object({
  name: z.string(),
  accuracy: z.number().int().min(0).max(100),
  /** Line of the matching fingerprint in the nmap-os-db Nmap used (null when Nmap did not say). */
  line: z.number().int().nullable(),
  classes: z.array(NmapOsClassSchema),
});
export type NmapOsMatch = z.infer<typeof NmapOsMatchSchema>;

/** The `nmap_guesses` column: every osmatch, best first. */
export const NmapGuessesSchema = z.array(NmapOsMatchSchema);

export type HostState = 'up' | 'down' | 'unknown' | 'skipped';

export interface NmapHostResult {
  readonly ip: string;
  readonly addrtype: 'ipv4' | 'ipv6';
  readonly state: HostState;
  /** Nmap gave up on the host (--host-timeout): whatever it printed is incomplete. */
  readonly timedOut: boolean;
  /** Whether Nmap wrote an `<os>` element at all (it does not when OS detection never ran for the host). */
  readonly osScanned: boolean;
  /** Every osmatch, ranked best first (by accuracy; Nmap's own order breaks ties). */
  readonly matches: readonly NmapOsMatch[];
  /** What Nmap's port scan said of each port it was given (<ports><port>): open, closed, filtered, ... */
  readonly ports: readonly { readonly state: string; readonly proto: string; readonly portid: number }[];
  /** The ports OS detection used (<os><portused>): no open TCP port means Nmap could not really try. */
  readonly portsUsed: readonly { readonly state: string; readonly proto: string; readonly portid: number }[];
  /** Nmap's submission fingerprint, when it printed one: lets a newer nmap-os-db re-match without rescanning. */
  readonly fingerprint: string | null;
}

/** Ranks best first without reordering equals: Nmap's order is its own tie-break. */
export function rankMatches(matches: readonly NmapOsMatch[]): NmapOsMatch[] {
  return matches
    .map((m, i) => ({ m, i }))
    .sort((a, b) => b.m.accuracy - a.m.accuracy || a.i - b.i)
    .map(({ m }) => m);
}

/** Serialises the ranked guesses for the `nmap_guesses` column. */
export function guessesToJson(matches: readonly NmapOsMatch[]): string {
  return JSON.stringify(rankMatches(matches));
}

/** Reads an `nmap_guesses` value back, with a clear error when it is not one. */
export function guessesFromJson(json: string): NmapOsMatch[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new Error(
      `nmap_guesses is not JSON (${(error as Error).message}); expected the array written by @osfp/labeler`,
    );
  }
  const parsed = NmapGuessesSchema.safeParse(value);
  if (!parsed.success) {
    throw new Error(`nmap_guesses does not have the shape @osfp/labeler writes: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
