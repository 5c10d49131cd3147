/**
 * The lab the e2e run shares: global-setup.ts brings it up once and provides
 * its plan; tests read it with `sharedLab()`.
 */
import { inject } from 'vitest';
import type { LabPlan } from '@osfp/lab';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The plan of the lab global-setup brought up, or null when it could not (no root). */
    labPlan: LabPlan | null;
  }
}

/** The shared lab's plan; null when this machine cannot run a lab (tests then skip via needs()). */
export function sharedLab(): LabPlan | null {
  return inject('labPlan') ?? null;
}
