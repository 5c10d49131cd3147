import { UserError } from '../errors.ts';

/** An evaluation that cannot be done with this input; the message says why and what to do. */
export class EvaluationInputError extends UserError {}
