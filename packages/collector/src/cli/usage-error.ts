/**
 * An error the user can fix: bad input, a missing tool, missing privileges.
 * The CLI prints only its message (no stack) and exits with `exitCode`.
 */
export class UsageError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'UsageError';
    this.exitCode = exitCode;
  }
}

/** Placeholder for subcommands that a later piece of work fills in. */
export function notImplemented(what: string): never {
  throw new UsageError(`${what} is not implemented yet`, 3);
}
