import { UserError } from '@osfp/dataset';

/** A capture file that cannot be read: names the file and says what is wrong with it. */
export class CaptureError extends UserError {
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.file = file;
  }
}
