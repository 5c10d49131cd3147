/**
 * The value expressions of nmap-os-db (`A|B`, hex ranges `a-b`, `>x`, `<x`,
 * empty) both ways: does an observed value match an expression (Nmap's rules,
 * so the offline scorer agrees with Nmap), and which concrete value should a
 * host produce for one.
 *
 * Nmap compares anything that starts with a hex digit as a hex number (after
 * dropping leading zeros), everything else as a plain string. Nested
 * expressions (`M[>500]`) are not used by the installed database and are not
 * supported here.
 */
import type { Rng } from './random.ts';

export type Alternative =
  | { kind: 'empty' }
  | { kind: 'literal'; text: string }
  | { kind: 'range'; low: number; high: number }
  | { kind: 'greater'; than: number }
  | { kind: 'less'; than: number };

const HEX = /^[0-9A-Fa-f]+$/;

export function parseExpression(expr: string): Alternative[] {
  return expr.split('|').map((alt): Alternative => {
    if (alt === '') return { kind: 'empty' };
    if ((alt.startsWith('>') || alt.startsWith('<')) && HEX.test(alt.slice(1))) {
      const n = parseInt(alt.slice(1), 16);
      return alt.startsWith('>') ? { kind: 'greater', than: n } : { kind: 'less', than: n };
    }
    const dash = alt.indexOf('-');
    if (dash > 0 && HEX.test(alt.slice(0, dash)) && HEX.test(alt.slice(dash + 1))) {
      return { kind: 'range', low: parseInt(alt.slice(0, dash), 16), high: parseInt(alt.slice(dash + 1), 16) };
    }
    return { kind: 'literal', text: alt };
  });
}

function stripZeros(s: string): string {
  let i = 0;
  while (i < s.length - 1 && s[i] === '0') i++;
  return s.slice(i);
}

/** Hex strings without leading zeros compare like numbers: by length, then by text. */
function hexCompare(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

function isHexDigit(c: string | undefined): boolean {
  return c !== undefined && /[0-9A-Fa-f]/.test(c);
}

/** Does `value` (an observed attribute, never an expression) match `expr`? Nmap's expr_match, un-nested. */
export function matchesExpression(value: string, expr: string): boolean {
  if (expr === '') return value === '';
  for (const alt of expr.split('|')) {
    if (value === '') {
      if (alt === '') return true;
      continue;
    }
    if (isHexDigit(value[0])) {
      const v = stripZeros(value);
      const first = alt[0];
      if (first === '>' || first === '<') {
        const bound = stripZeros(alt.slice(1));
        const c = hexCompare(v, bound);
        if (first === '>' ? c > 0 : c < 0) return true;
        continue;
      }
      if (!isHexDigit(first)) continue;
      const a = stripZeros(alt);
      const dash = a.indexOf('-');
      if (dash >= 0) {
        const low = stripZeros(a.slice(0, dash));
        const high = stripZeros(a.slice(dash + 1));
        if (hexCompare(v, low) >= 0 && hexCompare(v, high) <= 0) return true;
        continue;
      }
      if (a === v) return true;
      continue;
    }
    if (alt === value) return true;
  }
  return false;
}

export function hex(n: number): string {
  return Math.max(0, Math.floor(n)).toString(16).toUpperCase();
}

/** A concrete value for one alternative; numbers inside ranges are drawn uniformly. */
export function sampleAlternative(alt: Alternative, rng: Rng): string {
  switch (alt.kind) {
    case 'empty':
      return '';
    case 'literal':
      return alt.text;
    case 'range':
      return hex(rng.int(alt.low, alt.high));
    case 'greater':
      return hex(alt.than + rng.int(1, Math.max(1, Math.min(16, alt.than))));
    case 'less':
      return hex(alt.than <= 0 ? 0 : rng.int(0, alt.than - 1));
  }
}

/** A value that matches `expr`, one alternative drawn uniformly. */
export function sampleValue(expr: string, rng: Rng): string {
  const alts = parseExpression(expr);
  return sampleAlternative(rng.pick(alts), rng);
}

/** Every numeric value an expression allows, when that set is small (<= limit); null otherwise. */
export function numericValues(expr: string, limit = 4096): number[] | null {
  const out: number[] = [];
  for (const alt of parseExpression(expr)) {
    if (alt.kind === 'range') {
      if (alt.high - alt.low + 1 + out.length > limit) return null;
      for (let v = alt.low; v <= alt.high; v++) out.push(v);
    } else if (alt.kind === 'literal' && HEX.test(alt.text)) {
      out.push(parseInt(alt.text, 16));
    } else {
      return null;
    }
  }
  return out;
}

/** The numeric interval(s) an expression allows, for targets such as SP or ISR: [low, high] per alternative. */
export function numericIntervals(expr: string): [number, number][] {
  const out: [number, number][] = [];
  for (const alt of parseExpression(expr)) {
    if (alt.kind === 'range') out.push([alt.low, alt.high]);
    else if (alt.kind === 'literal' && HEX.test(alt.text)) out.push([parseInt(alt.text, 16), parseInt(alt.text, 16)]);
    else if (alt.kind === 'greater') out.push([alt.than + 1, alt.than + 16]);
    else if (alt.kind === 'less') out.push([0, Math.max(0, alt.than - 1)]);
  }
  return out;
}
