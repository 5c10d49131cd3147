/**
 * Exact-size reads from a file, buffered, so a capture of any size streams in
 * bounded memory.
 */
import { open, type FileHandle } from 'node:fs/promises';

const CHUNK = 1 << 20;

export class ByteReader {
  private buffer = Buffer.alloc(0);
  private start = 0;
  private filePosition = 0;
  private eof = false;
  /** Bytes consumed so far: the offset of the next read, for error messages. */
  offset = 0;

  private constructor(private readonly handle: FileHandle) {}

  static async open(path: string): Promise<ByteReader> {
    const handle = await open(path, 'r');
    if ((await handle.stat()).isDirectory()) {
      await handle.close();
      // Linux opens a directory for reading and fails only on the first read.
      throw Object.assign(new Error(`${path} is a directory`), { code: 'EISDIR' });
    }
    return new ByteReader(handle);
  }

  /** Exactly `n` bytes when they are already buffered (no await, the common case), else undefined. */
  tryTake(n: number): Buffer | undefined {
    if (this.buffer.length - this.start < n) return undefined;
    const out = this.buffer.subarray(this.start, this.start + n);
    this.start += n;
    this.offset += n;
    return out;
  }

  /**
   * Exactly `n` bytes, or null at a clean end of file (no byte left).
   * Returns the bytes it has when the file ends part-way, so the caller can
   * name the truncation; check `.length`.
   */
  async take(n: number): Promise<Buffer | null> {
    while (this.buffer.length - this.start < n && !this.eof) await this.fill(n);
    const available = this.buffer.length - this.start;
    if (available === 0 && n > 0) return null;
    const size = Math.min(n, available);
    const out = this.buffer.subarray(this.start, this.start + size);
    this.start += size;
    this.offset += size;
    return out;
  }

  private async fill(n: number): Promise<void> {
    const kept = this.buffer.subarray(this.start);
    const next = Buffer.allocUnsafe(kept.length + Math.max(CHUNK, n));
    kept.copy(next, 0);
    const { bytesRead } = await this.handle.read(next, kept.length, next.length - kept.length, this.filePosition);
    this.filePosition += bytesRead;
    if (bytesRead === 0) this.eof = true;
    this.buffer = next.subarray(0, kept.length + bytesRead);
    this.start = 0;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
