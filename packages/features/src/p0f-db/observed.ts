/**
 * An observed p0f raw signature, as p0f 3.09b prints it in `raw_sig` and as
 * osfp stores it in the `p0f_sig` column:
 * `ver:ttl+dist:olen:mss:wsize,scale:olayout:quirks:pclass`, e.g.
 * `4:57+7:0:1460:mss*10,7:mss,sok,ts,nop,ws:df:0`.
 */
import {
  P0fSignatureError,
  parseOptionLayout,
  parsePayloadClass,
  parseQuirks,
  parseSmallInt,
  parseWindowTerm,
  type P0fQuirk,
  type WindowTerm,
} from './signature.ts';

export interface ObservedSignature {
  readonly ipVersion: 4 | 6;
  /** TTL as received (p0f prints it before the `+`). */
  readonly ttl: number;
  readonly ipOptionLength: number;
  /** Null when p0f printed `*` (an MSS echoed from p0f-sendsyn). */
  readonly mss: number | null;
  /** p0f's window term: a plain value, or `mss*N` / `mtu*N` as detected by p0f. */
  readonly window: Exclude<WindowTerm, { kind: 'any' } | { kind: 'mod' }>;
  readonly windowScale: number;
  readonly optionLayout: string;
  readonly quirks: ReadonlySet<P0fQuirk>;
  readonly payloadClass: 0 | 1;
}

export function parseObservedSignature(text: string): ObservedSignature {
  const fields = text.split(':');
  if (fields.length !== 8) throw new P0fSignatureError(`p0f raw signature needs 8 fields, got "${text}"`);
  const [ver, ttl, olen, mss, win, layout, quirks, pclass] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (ver !== '4' && ver !== '6') throw new P0fSignatureError(`bad IP version "${ver}" in "${text}"`);
  const ttlMatch = /^(\d+)\+(\d+|\?)$/.exec(ttl);
  if (!ttlMatch) throw new P0fSignatureError(`bad TTL "${ttl}" in "${text}" (expected ttl+distance)`);
  const comma = win.indexOf(',');
  if (comma < 0) throw new P0fSignatureError(`window field needs "size,scale" in "${text}"`);
  const window = parseWindowTerm(win.slice(0, comma));
  if (window.kind === 'any' || window.kind === 'mod') {
    throw new P0fSignatureError(`an observed signature cannot have a wildcard window: "${text}"`);
  }
  const payloadClass = parsePayloadClass(pclass);
  if (payloadClass === null)
    throw new P0fSignatureError(`an observed signature cannot have payload class "*": "${text}"`);
  return {
    ipVersion: ver === '4' ? 4 : 6,
    ttl: parseSmallInt(ttlMatch[1] ?? '', 'TTL', 255),
    ipOptionLength: parseSmallInt(olen, 'IP option length', 255),
    mss: mss === '*' ? null : parseSmallInt(mss, 'MSS', 65535),
    window,
    windowScale: parseSmallInt(win.slice(comma + 1), 'window scale', 255),
    optionLayout: parseOptionLayout(layout),
    quirks: parseQuirks(quirks),
    payloadClass,
  };
}
