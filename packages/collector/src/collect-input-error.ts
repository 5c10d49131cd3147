import { UserError } from '@osfp/dataset';

/** A problem with a run's input the user can fix (bad --resume, unreadable file, bad exclusions). */
export class CollectInputError extends UserError {}
