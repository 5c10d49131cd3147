import { UserError } from '@osfp/dataset';

/** A command line the user can fix (a bad option or argument): printed without a stack, exit code 2. */
export class UsageError extends UserError {
  constructor(message: string, exitCode = 2) {
    super(message, { exitCode });
  }
}
