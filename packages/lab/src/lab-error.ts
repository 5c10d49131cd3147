/**
 * A lab problem the user can fix: not root, a bad prefix, a missing tool.
 * It carries the `userFixable` marker that the osfp CLI maps to a plain
 * message and exit code (this package depends on no other osfp package, so
 * it marks its errors rather than extending @osfp/dataset's UserError).
 */
export class LabError extends Error {
  readonly userFixable = true;
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}
