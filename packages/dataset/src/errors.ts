/**
 * Bad input the user can fix: a missing, truncated or foreign file, an unknown
 * dataset or version, a malformed reference. The message names the input and
 * says what to do; the CLI prints it without a stack.
 */
export class DatasetInputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatasetInputError';
  }
}

/** The message of anything thrown, for wrapping foreign errors into ours. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
