/** Small DOM helpers: every value enters the page as text, never as HTML. */

export type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Readonly<Record<string, string | undefined>> = {},
  ...children: (Child | readonly Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined) el.setAttribute(name, value);
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** A cell: numbers right-aligned. */
export function td(value: Child, numeric = typeof value === 'number'): HTMLTableCellElement {
  return h('td', numeric ? { class: 'num' } : {}, value);
}

export function table(
  headers: readonly string[],
  rows: readonly (readonly Child[])[],
  attrs: Readonly<Record<string, string>> = {},
): HTMLTableElement {
  return h(
    'table',
    attrs,
    h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', {}, x)))),
    h('tbody', {}, ...rows.map((row) => h('tr', {}, ...row.map((cell) => td(cell))))),
  );
}

/** Two columns: a label and its value. */
export function facts(rows: readonly (readonly [string, Child])[], attrs: Readonly<Record<string, string>> = {}) {
  return h('table', attrs, h('tbody', {}, ...rows.map(([k, v]) => h('tr', {}, h('th', {}, k), td(v)))));
}

export const fmt = {
  int: (n: number | null | undefined): string => (n === null || n === undefined ? '–' : n.toLocaleString('en-US')),
  pct: (x: number | null | undefined): string => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)} %`),
  num: (x: number): string => (Number.isInteger(x) ? x.toLocaleString('en-US') : x.toFixed(3)),
  rate: (x: number | null): string =>
    x === null ? '?' : x < 10 ? x.toFixed(1) : Math.round(x).toLocaleString('en-US'),
  duration(ms: number | null | undefined): string {
    if (ms === null || ms === undefined) return '?';
    const s = Math.round(ms / 1000);
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  },
  time: (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '–'),
  bytes(n: number | null): string {
    if (n === null) return 'made on request';
    const units = ['B', 'KiB', 'MiB', 'GiB'];
    let v = n;
    let u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
  },
};

export function link(href: string, text: Child, attrs: Readonly<Record<string, string>> = {}): HTMLAnchorElement {
  return h('a', { href, ...attrs }, text);
}

export function badge(status: string): HTMLSpanElement {
  return h('span', { class: `badge ${status}`, 'data-status': status }, status);
}

export class ApiError extends Error {}

/** GETs a JSON document of the dashboard's API; a failure carries the server's message. */
export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  const body = (await response.json().catch(() => null)) as { error?: string } | null;
  if (!response.ok) throw new ApiError(body?.error ?? `${path}: HTTP ${response.status}`);
  return body as T;
}
