/**
 * Database signatures and labels as text, the inverse of database.ts's
 * parser: what a generated p0f.fp says in its `sig = ` and `label = ` lines.
 * Also the database form of an observed raw signature (the same packet,
 * written as a signature that p0f matches exactly).
 */
import { initialTtl } from '../signature/p0f-signature.ts';
import type { P0fLabel, P0fTcpSignature } from './database.ts';
import type { ObservedSignature } from './observed.ts';
import { P0F_QUIRKS, type WindowTerm } from './signature.ts';

/** What a `sig = ` line says: a signature without its place in a file. */
export type P0fSignatureFields = Omit<P0fTcpSignature, 'line' | 'label'>;

/** What a `label = ` line says. */
export type P0fLabelFields = Pick<P0fLabel, 'generic' | 'osClass' | 'name' | 'flavor'>;

export function formatWindowTerm(term: WindowTerm): string {
  switch (term.kind) {
    case 'any':
      return '*';
    case 'value':
      return String(term.value);
    case 'mod':
      return `%${term.value}`;
    case 'mss':
    case 'mtu':
      return `${term.kind}*${term.value}`;
  }
}

/** `ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass`, quirks in p0f's order. */
export function formatSignature(sig: P0fSignatureFields): string {
  const wildcard = (value: number | null) => (value === null ? '*' : String(value));
  return [
    sig.ipVersion === null ? '*' : String(sig.ipVersion),
    `${sig.ittl}${sig.badTtl ? '-' : ''}`,
    String(sig.ipOptionLength),
    wildcard(sig.mss),
    `${formatWindowTerm(sig.window)},${wildcard(sig.windowScale)}`,
    sig.optionLayout,
    P0F_QUIRKS.filter((q) => sig.quirks.has(q)).join(','),
    sig.payloadClass === null ? '*' : sig.payloadClass === 1 ? '+' : '0',
  ].join(':');
}

/** `s:class:name:flavor` (`g:` when generic; class `!` for a userland tool). */
export function formatLabel(label: P0fLabelFields): string {
  return `${label.generic ? 'g' : 's'}:${label.osClass ?? '!'}:${label.name}:${label.flavor}`;
}

/**
 * The database signature that matches exactly the packet an observed raw
 * signature describes: p0f's guess of the initial TTL instead of `ttl+dist`,
 * every other field as observed (the window term as p0f computed it).
 */
export function exactFields(observed: ObservedSignature): P0fSignatureFields {
  return {
    ipVersion: observed.ipVersion,
    ittl: initialTtl(observed.ttl),
    badTtl: false,
    ipOptionLength: observed.ipOptionLength,
    mss: observed.mss,
    window: observed.window,
    windowScale: observed.windowScale,
    optionLayout: observed.optionLayout,
    quirks: observed.quirks,
    payloadClass: observed.payloadClass,
  };
}
