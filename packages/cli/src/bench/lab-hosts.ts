/**
 * Lab hosts for the benchmarks that should meet every kind of host: kernel
 * personalities (behind path bridges under a profile) and emulated OSes
 * (their responders apply the profile themselves), interleaved so load and
 * conditions spread over all of them.
 */
import { emulatedHost, HOSTS_PER_EMULATED, ipToNumber, numberToIp, type LabPlan } from '@osfp/lab';

/** `count` distinct addresses, one from each personality and default emulated OS in turn; personalities only once the emulated blocks run out. */
export function mixedLabHosts(plan: LabPlan, count: number): string[] {
  const personalities = plan.personalities.map((p) => (n: number) => numberToIp(ipToNumber(p.firstHost) + n));
  const emulated = plan.emulated.slice(0, 9).map((os) => (n: number) => emulatedHost(os.index, n));
  const out: string[] = [];
  for (let n = 0; out.length < count; n++) {
    const sources = n < HOSTS_PER_EMULATED ? [...personalities, ...emulated] : personalities;
    for (const host of sources) {
      if (out.length === count) break;
      out.push(host(n));
    }
  }
  return out;
}
