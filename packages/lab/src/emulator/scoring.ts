/**
 * Nmap's comparison of an observed print with the reference prints, offline:
 * every attribute present on both sides is worth its MatchPoints; accuracy is
 * the share of points that match; ties keep file order. The emulator uses it
 * to choose, among the values a fingerprint allows, ones that Nmap will not
 * also find in another OS class's print (see host-profile.ts), and the tests
 * use it to check a host's answers without a scan.
 */
import { matchesExpression } from './expressions.ts';
import type { Fingerprint, OsDb, TestName } from './os-db.ts';

/** What Nmap would record for a host: test -> attribute -> value (never an expression). */
export type ObservedPrint = Map<TestName, Map<string, string>>;

export function accuracy(reference: Fingerprint, observed: ObservedPrint, db: OsDb): number {
  let total = 0;
  let matched = 0;
  for (const [test, attrs] of observed) {
    const ref = reference.tests.get(test);
    if (!ref) continue;
    const points = db.matchPoints.get(test);
    for (const [attr, value] of attrs) {
      const expr = ref.get(attr);
      if (expr === undefined) continue;
      const worth = points?.get(attr) ?? 1;
      total += worth;
      if (matchesExpression(value, expr)) matched += worth;
    }
  }
  return total === 0 ? 0 : matched / total;
}

export interface Ranked {
  fingerprint: Fingerprint;
  accuracy: number;
}

/**
 * Nmap's result list: best accuracy first, file order among equals, one entry
 * per OS name (the best of its entries), cut to `limit`.
 */
export function rankPrints(observed: ObservedPrint, db: OsDb, limit = 36): Ranked[] {
  const byName = new Map<string, Ranked>();
  for (const fp of db.fingerprints) {
    const acc = accuracy(fp, observed, db);
    const seen = byName.get(fp.name);
    if (!seen || acc > seen.accuracy) byName.set(fp.name, { fingerprint: fp, accuracy: acc });
  }
  return [...byName.values()]
    .sort((a, b) => b.accuracy - a.accuracy || a.fingerprint.index - b.fingerprint.index)
    .slice(0, limit);
}
