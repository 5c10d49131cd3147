/**
 * Synthetic labelled rows for evaluation tests: four server personalities
 * whose SYN-ACKs look like the real systems (and like the lab's), with noisy
 * hop counts and MSS, and a share of rows whose Nmap label is wrong (as Nmap
 * sometimes is). Seeded, so every test sees the same rows.
 */
import type { EvaluationRow } from '../src/evaluate/index.ts';
import { seededRandom } from '../src/evaluate/seeded-random.ts';

interface Personality {
  readonly label: string;
  readonly label2: string;
  readonly ittl: number;
  readonly df: boolean;
  readonly ipIdZero: boolean;
  readonly mssChoices: readonly number[];
  readonly window: (mss: number) => number;
  readonly wsize: (mss: number) => string;
  readonly wscale: number | null;
  readonly olayout: string;
  readonly quirks: string;
}

export const PERSONALITIES: readonly Personality[] = [
  {
    label: 'Linux 3.X',
    label2: 'Linux 4.X',
    ittl: 64,
    df: true,
    ipIdZero: true,
    mssChoices: [1460, 1440, 1400],
    window: (mss) => mss * 10,
    wsize: () => 'mss*10',
    wscale: 7,
    olayout: 'mss,sok,ts,nop,ws',
    quirks: 'df',
  },
  {
    label: 'Windows 2016',
    label2: 'Windows 2012',
    ittl: 128,
    df: true,
    ipIdZero: false,
    mssChoices: [1460, 1380],
    window: () => 8192,
    wsize: () => '8192',
    wscale: 8,
    olayout: 'mss,nop,ws,sok,ts',
    quirks: 'df,id+',
  },
  {
    label: 'FreeBSD 11.X',
    label2: 'FreeBSD 12.X',
    ittl: 64,
    df: true,
    ipIdZero: false,
    mssChoices: [1460],
    window: () => 65535,
    wsize: () => '65535',
    wscale: 6,
    olayout: 'mss,nop,ws,sok,ts',
    quirks: 'df,id+',
  },
  {
    label: 'embedded',
    label2: 'Linux (Other)',
    ittl: 255,
    df: false,
    ipIdZero: false,
    mssChoices: [536],
    window: (mss) => mss * 4,
    wsize: () => 'mss*4',
    wscale: null,
    olayout: 'mss',
    quirks: '',
  },
];

export interface SyntheticOptions {
  readonly perClass: number | readonly number[];
  readonly seed?: number;
  /** Share of rows whose label is another personality's (Nmap's mistakes). */
  readonly labelNoise?: number;
}

export function syntheticRows(options: SyntheticOptions): EvaluationRow[] {
  const random = seededRandom(options.seed ?? 7);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const rows: EvaluationRow[] = [];
  PERSONALITIES.forEach((p, k) => {
    const n = typeof options.perClass === 'number' ? options.perClass : (options.perClass[k] ?? 0);
    for (let i = 0; i < n; i++) {
      const hops = 1 + Math.floor(random() * 25);
      const mss = pick(p.mssChoices);
      const ttl = p.ittl - hops;
      const noisy = random() < (options.labelNoise ?? 0);
      const label = noisy ? pick(PERSONALITIES.filter((q) => q !== p)).label : p.label;
      const n4 = rows.length;
      rows.push({
        ip: `198.18.${Math.floor(n4 / 250)}.${(n4 % 250) + 1}`,
        port: 80,
        ip_ittl: p.ittl,
        ip_df: p.df,
        ip_id: p.ipIdZero ? 0 : 1 + Math.floor(random() * 65000),
        ip_tos: 0,
        ip_ecn: 0,
        ip_olen: 0,
        tcp_window: p.window(mss),
        tcp_mss: mss,
        tcp_wscale: p.wscale,
        tcp_sack_ok: p.olayout.includes('sok'),
        tcp_ts: p.olayout.includes('ts'),
        tcp_olayout: p.olayout,
        tcp_quirks: p.quirks,
        tcp_wsize: p.wsize(mss),
        p0f_sig: `4:${ttl}+${hops}:0:${mss}:${p.wsize(mss)},${p.wscale ?? 0}:${p.olayout}:${p.quirks}:0`,
        label,
        label_2: p.label2,
        label_status: 'ok',
      });
    }
  });
  return rows;
}
