/**
 * A second lab for the tests that must also hold where users run osfp: the
 * shared lab's prefix with an `n`, under the `internet` network profile
 * (20-300 ms round trips, loss, duplication, reordering, firewalls, SYN
 * cookies). Brought up by the first test that asks (later ones find it up),
 * taken down by the global teardown.
 */
import { INTERNET_PROFILE, labUp, type LabPlan } from '@osfp/lab';

/** The internet lab's prefix, derived from the shared lab's (OSFP_LAB_PREFIX). */
export function internetLabPrefix(): string {
  return `${process.env['OSFP_LAB_PREFIX'] ?? 'osfpt'}n`;
}

/** Brings the internet lab up (a no-op when it is up with that profile) and returns its plan. */
export async function internetLab(): Promise<LabPlan> {
  return labUp({ prefix: internetLabPrefix(), profile: INTERNET_PROFILE });
}
