/**
 * The parts of a p0f v3 TCP signature, shared by database entries (which may
 * hold wildcards) and observed raw signatures (which never do). Field meaning
 * follows p0f 3.09b's README section 5 and fp_tcp.c.
 */
import { QUIRK_ORDER, type Quirk } from '../signature/p0f-packet.ts';

/** Window size term of a signature. `any` is p0f's `*`. */
export type WindowTerm =
  | { readonly kind: 'any' }
  | { readonly kind: 'value'; readonly value: number }
  | { readonly kind: 'mod'; readonly value: number }
  | { readonly kind: 'mss'; readonly value: number }
  | { readonly kind: 'mtu'; readonly value: number };

/** Every quirk p0f 3.09b knows, in the order p0f prints them: the extractor's own list. */
export const P0F_QUIRKS = QUIRK_ORDER;
export type P0fQuirk = Quirk;

const QUIRK_SET: ReadonlySet<string> = new Set(P0F_QUIRKS);

export class P0fSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'P0fSignatureError';
  }
}

const OPTION_NAMES: ReadonlySet<string> = new Set(['nop', 'mss', 'ws', 'sok', 'sack', 'ts']);

/**
 * Parses an option layout such as `mss,nop,ws,sok,eol+1` into p0f's canonical
 * text. p0f compares layouts by a hash of the option kinds plus the EOL padding,
 * which is exactly equality of this canonical text.
 */
export function parseOptionLayout(text: string): string {
  if (text === '') return '';
  const parts = text.split(',');
  parts.forEach((part, index) => {
    if (OPTION_NAMES.has(part)) return;
    if (/^\?\d{1,3}$/.test(part) && Number(part.slice(1)) <= 255) return;
    if (/^eol\+\d{1,3}$/.test(part)) {
      if (index !== parts.length - 1) throw new P0fSignatureError(`EOL must be the last option in "${text}"`);
      return;
    }
    throw new P0fSignatureError(`unrecognised TCP option "${part}" in "${text}"`);
  });
  return parts.join(',');
}

export function parseQuirks(text: string): ReadonlySet<P0fQuirk> {
  const quirks = new Set<P0fQuirk>();
  if (text === '') return quirks;
  for (const part of text.split(',')) {
    if (!QUIRK_SET.has(part)) throw new P0fSignatureError(`unrecognised quirk "${part}" in "${text}"`);
    quirks.add(part as P0fQuirk);
  }
  return quirks;
}

export function parseWindowTerm(text: string): WindowTerm {
  if (text === '*') return { kind: 'any' };
  let match = /^%(\d+)$/.exec(text);
  if (match) return { kind: 'mod', value: Number(match[1]) };
  match = /^(mss|mtu)\*(\d+)$/.exec(text);
  if (match) return { kind: match[1] === 'mss' ? 'mss' : 'mtu', value: Number(match[2]) };
  if (/^\d+$/.test(text) && Number(text) <= 65535) return { kind: 'value', value: Number(text) };
  throw new P0fSignatureError(`bad window size "${text}"`);
}

export function parsePayloadClass(text: string): 0 | 1 | null {
  if (text === '*') return null;
  if (text === '0') return 0;
  if (text === '+') return 1;
  throw new P0fSignatureError(`bad payload class "${text}"`);
}

export function parseSmallInt(text: string, what: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) > max) throw new P0fSignatureError(`bad ${what} "${text}"`);
  return Number(text);
}
