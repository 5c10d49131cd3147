/** A capture file that cannot be read: names the file and says what is wrong with it. */
export class CaptureError extends Error {
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'CaptureError';
    this.file = file;
  }
}
