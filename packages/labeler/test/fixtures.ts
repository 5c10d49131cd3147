import { readFileSync } from 'node:fs';

/** A recorded or hand-made Nmap XML document from test/fixtures/. */
export function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
}
