/**
 * An error the user can fix: bad input, a missing file or tool, a name that
 * cannot be used. The message names the input and says what to do; the CLI
 * prints it without a stack and exits with `exitCode`. Every package's
 * user-facing errors extend this, or (packages that do not depend on
 * @osfp/dataset) carry the same `userFixable` marker: the CLI recognises
 * both with `isUserFixable` and maps them in one place.
 */
export class UserError extends Error {
  readonly userFixable = true;
  readonly exitCode: number;
  constructor(message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options?.exitCode ?? 2;
  }
}

/** True for any error marked as the user's to fix (a UserError, or another package's error with the marker). */
export function isUserFixable(
  error: unknown,
): error is Error & { readonly userFixable: true; readonly exitCode?: number } {
  return error instanceof Error && (error as { userFixable?: unknown }).userFixable === true;
}

/**
 * Bad input the user can fix: a missing, truncated or foreign file, an unknown
 * dataset or version, a malformed reference.
 */
export class DatasetInputError extends UserError {}

/** The message of anything thrown, for wrapping foreign errors into ours. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
