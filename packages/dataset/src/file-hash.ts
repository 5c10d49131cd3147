import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Feeds a file into a running hash, streaming (files may be larger than memory). */
export async function updateHashFromFile(hash: Hash, path: string): Promise<void> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await updateHashFromFile(hash, path);
  return hash.digest('hex');
}
