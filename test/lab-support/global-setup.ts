/**
 * Vitest global setup for the e2e project: brings one lab up for the whole run
 * (prefix OSFP_LAB_PREFIX, default "osfpt", so a developer's own "osfp" lab is
 * left alone), provides its plan to the tests, and takes it down at the end
 * unless OSFP_KEEP_LAB=1 (handy when iterating: the next `up` is then a no-op).
 * The internet-profile lab some tests bring up (internet-lab.ts) goes down
 * with it.
 *
 * Without root it provides null and the tests skip through needs(); under
 * CI=true needs() throws instead, so the run fails.
 */
import type { TestProject } from 'vitest/node';
import { labDown, labUp } from '@osfp/lab';
import { needs } from '@osfp/test-support';
import { internetLabPrefix } from './internet-lab.ts';
import './shared-lab.ts';

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (needs('root', 'netns', 'dnsmasq')) {
    project.provide('labPlan', null);
    return undefined;
  }
  const prefix = process.env['OSFP_LAB_PREFIX'] ?? 'osfpt';
  // Test workers inherit this, so code that reads the default prefix finds this lab.
  process.env['OSFP_LAB_PREFIX'] = prefix;
  const started = Date.now();
  const plan = await labUp({ prefix });
  console.log(`global setup: lab "${prefix}" up in ${Date.now() - started} ms`);
  project.provide('labPlan', plan);
  return async () => {
    if (process.env['OSFP_KEEP_LAB'] === '1') {
      console.log(
        `global setup: keeping lab "${prefix}" (OSFP_KEEP_LAB=1); remove it with: pnpm lab down --prefix ${prefix}` +
          ` (and --prefix ${internetLabPrefix()} if a test brought the internet lab up)`,
      );
      return;
    }
    await labDown({ prefix });
    await labDown({ prefix: internetLabPrefix() });
  };
}
