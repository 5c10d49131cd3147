import { createLogUpdate } from 'log-update';

type Write = NodeJS.WriteStream['write'];

const HIDE_CURSOR = '\u001B[?25l';
const SHOW_CURSOR = '\u001B[?25h';

/**
 * The live panel at the bottom of a terminal, with everything else printed
 * above it. While it is open, whatever else writes to the terminal (a log
 * line, a child process's complaint, a stray console.log) goes through
 * `printAbove`: the panel is erased, the text written, the panel drawn again,
 * so the panel is never broken and nothing is lost. log-update draws the panel.
 */
export class TerminalPanel {
  private readonly originals = new Map<NodeJS.WriteStream, Write>();
  private readonly draw: ReturnType<typeof createLogUpdate>;
  private text = '';
  private open = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    const own = this.stream;
    // log-update writes with the terminal's own write, not the intercepted one.
    this.draw = createLogUpdate(
      {
        write: (chunk: string) => this.rawWrite(own, chunk),
        get columns() {
          return own.columns;
        },
        get rows() {
          return own.rows;
        },
        isTTY: true,
        // The cursor is hidden and shown here, once: log-update's own hiding writes to process.stderr on every frame.
      } as unknown as NodeJS.WriteStream,
      { showCursor: true },
    );
  }

  /** Intercepts writes to `streams` that share the panel's terminal (stderr, and stdout when it is a terminal too). */
  openOn(streams: readonly NodeJS.WriteStream[] = [process.stderr, process.stdout]): void {
    if (this.open) return;
    this.open = true;
    this.rawWrite(this.stream, HIDE_CURSOR);
    process.once('exit', this.showCursor);
    for (const stream of streams) {
      if (stream !== this.stream && stream.isTTY !== true) continue;
      const original = stream.write;
      this.originals.set(stream, original);
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        this.printAbove(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'), stream);
        const callback = rest.find((r): r is () => void => typeof r === 'function');
        callback?.();
        return true;
      }) as Write;
    }
  }

  render(text: string): void {
    this.text = text;
    if (this.open) this.draw(text);
  }

  /** Writes `text` (completed to whole lines) above the panel. */
  printAbove(text: string, stream: NodeJS.WriteStream = this.stream): void {
    if (text === '') return;
    if (!this.open) {
      this.rawWrite(stream, text);
      return;
    }
    if (this.text !== '') this.draw.clear();
    this.rawWrite(stream, text.endsWith('\n') ? text : `${text}\n`);
    if (this.text !== '') this.draw(this.text);
  }

  /** Leaves the last panel on screen and gives the terminal back. */
  close(): void {
    if (!this.open) return;
    if (this.text !== '') this.draw(this.text);
    this.draw.done();
    this.showCursor();
    process.off('exit', this.showCursor);
    for (const [stream, original] of this.originals) stream.write = original;
    this.originals.clear();
    this.open = false;
  }

  private readonly showCursor = (): void => this.rawWrite(this.stream, SHOW_CURSOR);

  private rawWrite(stream: NodeJS.WriteStream, text: string): void {
    const write = this.originals.get(stream) ?? stream.write;
    write.call(stream, text);
  }
}
