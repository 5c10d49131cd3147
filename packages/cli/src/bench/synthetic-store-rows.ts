/**
 * Realistic synthetic store rows generated inside DuckDB (a JS appender would
 * spend a minute per million rows): 13 classes, lists with two names,
 * nullable columns with nulls, an nmap_guesses JSON document of typical
 * length. Row `i` is always the same row, so a range of `i` is a batch.
 */

export interface SyntheticRowsSpec {
  readonly runId: string;
  /** Rows `from` (inclusive) to `to` (exclusive) of the sequence. */
  readonly from: number;
  readonly to: number;
  /** The batch_id column (the store's writeBatchFromSql keys the file by its own argument). */
  readonly batchIdSql?: string;
  /**
   * `lab`: addresses of 198.18.0.0/15, so a million rows reuse 131,072 of them (ports 80 and 443);
   * `distinct`: one address per row, increasing with `i` across the IPv4 space, as the coordinator's
   * address-ordered batches write them (port 443 for every fifth row, 80 otherwise).
   */
  readonly addresses: 'lab' | 'distinct';
  /** probed_at of the last row of the sequence (`total` rows, 10 ms apart); default 2026-01-01 + 10 ms x i. */
  readonly probedUntil?: { readonly at: Date; readonly total: number };
  /** Every `failedLabelsEvery`-th row has label_status 'failed' and no label (default: every row is labelled). */
  readonly failedLabelsEvery?: number;
  /**
   * `varied` (default): header fields cycle independently of the class (many distinct values: a storage test);
   * `by-class`: each class has its own stack (initial TTL, window, options, quirks), with a few MSS values,
   * so a classifier learns what it would from real SYN-ACKs and trains in its usual time.
   */
  readonly features?: 'varied' | 'by-class';
}

const CLASSES = [
  'Linux 4.X',
  'Linux 5.X',
  'Linux 3.X',
  'Linux 2.6.X',
  'Linux (Other)',
  'Windows 2016',
  'Windows 2012',
  'FreeBSD 12.X',
  'FreeBSD 13.X',
  'OpenBSD 7.X',
  'macOS 13.X',
  'embedded',
  'Solaris 11',
];

/** Per class (same order as CLASSES): initial TTL, window, window scale, option layout, quirks. */
const STACKS: readonly (readonly [number, string, number, string, string])[] = [
  [64, 'mss*20', 7, 'mss,sok,ts,nop,ws', 'df,id+'],
  [64, 'mss*44', 7, 'mss,sok,ts,nop,ws', 'df,id+'],
  [64, 'mss*10', 7, 'mss,sok,ts,nop,ws', 'df'],
  [64, 'mss*4', 7, 'mss,sok,ts,nop,ws', 'df'],
  [64, 'mss*4', 0, 'mss,nop,nop,sok,nop,ws', 'df'],
  [128, '8192', 8, 'mss,nop,ws,sok,ts', 'df,id+'],
  [128, '8192', 8, 'mss,nop,ws,sok,ts', 'df,id+,ts1-'],
  [64, '65535', 6, 'mss,nop,ws,sok,ts', 'df,id+'],
  [64, '65535', 9, 'mss,nop,ws,sok,ts', 'df,id+'],
  [64, '16384', 6, 'mss,nop,nop,sok,nop,ws,nop,nop,ts', 'df,id+'],
  [64, '65535', 6, 'mss,nop,ws,nop,nop,ts,sok,eol+1', 'df,id+'],
  [255, 'mss*4', 0, 'mss', ''],
  [255, '32768', 0, 'nop,ws,nop,nop,ts,nop,nop,sok,mss', 'df'],
];

const literal = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/** 1.0.0.0 + 4,093 x i: a million distinct addresses spread over the whole space, in ascending order. */
const DISTINCT_IP = `(16777216 + i * 4093)`;

export function syntheticRowsSql(spec: SyntheticRowsSpec): string {
  const ip =
    spec.addresses === 'lab'
      ? `'198.' || (18 + ((i >> 16) & 1)) || '.' || ((i >> 8) & 255) || '.' || (i & 255)`
      : `(${DISTINCT_IP} >> 24) || '.' || ((${DISTINCT_IP} >> 16) & 255) || '.' || ((${DISTINCT_IP} >> 8) & 255) || '.' || (${DISTINCT_IP} & 255)`;
  const probedAt = spec.probedUntil
    ? `${literal(spec.probedUntil.at.toISOString())}::TIMESTAMP - to_milliseconds((${spec.probedUntil.total - 1} - i) * 10)`
    : `TIMESTAMP '2026-01-01' + to_milliseconds(i * 10)`;
  const failed = spec.failedLabelsEvery ? `i % ${Math.trunc(spec.failedLabelsEvery)} = 0` : 'false';
  const labelled = (sql: string) => `CASE WHEN ${failed} THEN NULL ELSE ${sql} END`;
  const byClass = spec.features === 'by-class';
  const stack = (field: number, sql: (v: string | number) => string) =>
    `list_extract([${STACKS.map((s) => sql(s[field] ?? '')).join(',')}], (i % 13 + 1)::INTEGER)`;
  const mss = byClass ? `list_extract([1460, 1440, 1380], (i // 13 % 3 + 1)::INTEGER)` : '1460';
  // The window the p0f window expression stands for (mss*N or a plain number).
  const wsize = byClass ? stack(1, (v) => literal(String(v))) : `'mss*44'`;
  const window = byClass
    ? `CASE WHEN starts_with(wsize, 'mss*') THEN mss * CAST(substr(wsize, 5) AS INTEGER) ELSE CAST(wsize AS INTEGER) END`
    : `(65535 - i % 1000)::INTEGER`;
  const olayout = byClass ? stack(3, (v) => literal(String(v))) : `'mss,sok,ts,nop,ws'`;
  const quirks = byClass ? stack(4, (v) => literal(String(v))) : `'df,id+'`;
  const wscale = byClass ? stack(2, String) : '(i % 15)::INTEGER';
  return `
  WITH g AS (
    SELECT i, list_extract([${CLASSES.map(literal).join(',')}], (i % 13 + 1)::INTEGER) AS cls,
      ${byClass ? stack(0, String) : 'CASE WHEN i % 2 = 0 THEN 64 ELSE 128 END'} AS ittl, (i % 17)::INTEGER AS hops,
      ${mss} AS mss, ${wsize} AS wsize, ${olayout} AS olayout, ${quirks} AS quirks, ${wscale} AS wscale
    FROM range(${Math.trunc(spec.from)}, ${Math.trunc(spec.to)}) t(i))
  SELECT ${spec.batchIdSql ?? `'b' || (i // 500)`} AS batch_id, ${literal(spec.runId)} AS run_id,
    ${ip} AS ip,
    CASE WHEN i % 5 = 0 THEN 443 ELSE 80 END AS port,
    CASE WHEN i % 3 = 0 THEN []::VARCHAR[] ELSE ['www.site' || i || '.example', 'site' || i || '.example'] END AS domains,
    ${probedAt} AS probed_at,
    CASE WHEN i % 11 = 0 THEN 'timeout' ELSE 'success' END AS probe_status,
    CASE WHEN i % 11 = 0 THEN NULL ELSE 200 END AS http_status,
    CASE WHEN i % 4 = 0 THEN NULL ELSE 'nginx/1.22.1 (Debian, "stable")' END AS http_server,
    10 + (i % 997) / 10 AS rtt_ms, 1 AS synack_count, false AS syn_retransmitted, 4 AS ip_version,
    ittl - hops AS ip_ttl, ittl AS ip_ittl, hops AS ip_hops,
    ${byClass ? `contains(quirks, 'df')` : 'i % 7 <> 0'} AS ip_df,
    ${byClass ? `CASE WHEN contains(quirks, 'id+') THEN (1 + i % 65535) ELSE 0 END` : '(i % 65536)'}::INTEGER AS ip_id,
    0 AS ip_tos, 0 AS ip_ecn, 0 AS ip_olen, NULL::INTEGER AS ip_flow, NULL AS ip_ext, ${window} AS tcp_window,
    mss AS tcp_mss, wscale AS tcp_wscale, ${byClass ? `contains(olayout, 'sok')` : 'true'} AS tcp_sack_ok,
    ${byClass ? `contains(olayout, 'ts')` : 'i % 2 = 0'} AS tcp_ts,
    CASE WHEN i % 2 = 0 THEN 3000000000 + i END AS tcp_tsval, '020405b40402080a0000000000000000010303' AS tcp_options,
    olayout AS tcp_olayout, quirks AS tcp_quirks, wsize AS tcp_wsize,
    '4:' || (ittl - hops) || '+' || hops || ':0:' || mss || ':' || wsize || ',' || wscale || ':' || olayout || ':' || quirks || ':0' AS p0f_sig,
    'mss,sok,ts,nop,ws' AS syn_olayout, 1460 AS syn_mss, ${labelled('cls')} AS label,
    ${labelled('(85 + i % 16)::INTEGER')} AS label_acc,
    ${labelled(`'Linux 3.X'`)} AS label_2, ${labelled('80')} AS label_2_acc,
    ${labelled(`split_part(cls, ' ', 1)`)} AS os_vendor, ${labelled(`split_part(cls, ' ', 1)`)} AS os_family,
    ${labelled(`split_part(cls, ' ', 2)`)} AS os_gen, ${labelled(`'general purpose'`)} AS os_type,
    ${labelled(`'cpe:/o:' || lower(split_part(cls, ' ', 1))`)} AS os_cpe,
    ${labelled(`'[{"name":"' || cls || '","accuracy":95,"line":' || (1000 + i % 50) || ',"classes":[{"type":"general purpose","vendor":"'
      || split_part(cls, ' ', 1) || '","osfamily":"' || split_part(cls, ' ', 1) || '","osgen":"' || split_part(cls, ' ', 2)
      || '","accuracy":95,"cpe":[]}]}]'`)} AS nmap_guesses,
    CASE WHEN ${failed} THEN 'failed' ELSE 'ok' END AS label_status,
    i % 3 <> 0 AS nmap_closed_port, i % 3 = 0 AS nmap_unreliable, false AS nmap_too_many_matches,
    CASE WHEN i % 50 = 0 THEN 2 ELSE 1 END AS nmap_tries
  FROM g`;
}
