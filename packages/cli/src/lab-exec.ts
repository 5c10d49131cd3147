import { spawn } from 'node:child_process';
import { UserError } from '@osfp/dataset';
import { labPlan, labStatus, runningPlan, type LabPlan } from '@osfp/lab';

/** Set in the re-executed process: "already inside the lab's scanner namespace". */
const INSIDE_ENV = 'OSFP_LAB_INSIDE';

export function labPrefixOf(lab: string | true): string | undefined {
  return lab === true ? process.env['OSFP_LAB_PREFIX'] : lab;
}

export function insideLab(plan: LabPlan): boolean {
  return process.env[INSIDE_ENV] === plan.prefix;
}

/** `--lab` names a lab that is not up: the user starts it first. */
export class LabNotUpError extends UserError {}

/** The running lab's plan (its extra OSes and network profile included), after checking that it is up. */
export async function requireLab(prefix: string | undefined): Promise<LabPlan> {
  const plan = labPlan(prefix === undefined ? {} : { prefix });
  const status = await labStatus({ prefix: plan.prefix });
  if (!status.up) {
    throw new LabNotUpError(
      `the lab "${plan.prefix}" is not up: run \`pnpm lab up${prefix ? ` --prefix ${plan.prefix}` : ''}\` first`,
    );
  }
  return runningPlan({ prefix: plan.prefix });
}

/**
 * Runs this very command again inside the lab's scanner namespace
 * (`ip netns exec`), so every packet it sends (probes, Nmap, DNS) can only
 * reach the lab. Signals are passed on; resolves with the child's exit code.
 */
export function reexecInLab(plan: LabPlan, namespace = plan.scannerNamespace): Promise<number> {
  const child = spawn(
    'ip',
    ['netns', 'exec', namespace, process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    {
      stdio: 'inherit',
      env: { ...process.env, [INSIDE_ENV]: plan.prefix },
    },
  );
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 128 + 2 : 1));
    });
  });
}
