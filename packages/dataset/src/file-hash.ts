import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { DatasetInputError } from './errors.ts';

/** Feeds a file into a running hash, streaming (files may be larger than memory). */
export async function updateHashFromFile(hash: Hash, path: string): Promise<void> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await updateHashFromFile(hash, path);
  return hash.digest('hex');
}

/** sha256 of a file the user named (`what`: "targets file", "capture", ...); unreadable = a DatasetInputError naming it. */
export async function sha256OfInput(path: string, what: string): Promise<string> {
  try {
    return await sha256File(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new DatasetInputError(`${what} ${path}: ${why}`, { cause: error });
  }
}
