/**
 * The record schema: the one place that names the dataset's columns and their
 * types. Column names are a contract read by other tools (docs/record-schema.md): add
 * columns freely, never rename these.
 *
 * One row per responsive host and port. A host is responsive when its SYN-ACK
 * was captured, whatever HTTP did after the handshake.
 */

/** The closed set of outcomes of one HTTP probe (ZGrab2 style). */
export const PROBE_STATUSES = [
  'success', // HTTP response read (any status code)
  'http-error', // handshake done, but the HTTP exchange failed (garbage, reset mid-response, ...)
  'tls-error', // handshake done, TLS failed
  'timeout', // the per-target deadline passed after the handshake
  'refused', // RST in answer to our SYN: port closed
  'no-synack', // no SYN-ACK at all before the deadline (filtered, down)
  'unreachable', // ICMP unreachable / no route
  'error', // a local failure (resources, bugs): counted, never fatal for the batch
  'passive', // no probe was sent: the row comes from an imported capture (osfp import-pcap)
] as const;
export type ProbeStatus = (typeof PROBE_STATUSES)[number];

/** The closed set of outcomes of labelling one host with Nmap. */
export const LABEL_STATUSES = [
  'ok', // a class: derived from an Nmap osclass, reused from an earlier run, or given by an imported capture
  'no-match', // Nmap ran but made no guess that carries an osclass
  'failed', // Nmap crashed or its output could not be used
  'timeout', // the batch's deadline passed
  'skipped', // not labelled by policy (--label none or not sampled)
  'firewalled', // Nmap had too little to go on: a probed port went unanswered, none was closed, and no usable guess came
] as const;
export type LabelStatus = (typeof LABEL_STATUSES)[number];

/** Column types, named as DuckDB names them. */
export type ColumnType = 'VARCHAR' | 'INTEGER' | 'BIGINT' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP' | 'VARCHAR[]';

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
  readonly group: 'identity' | 'probe' | 'ip' | 'tcp' | 'syn' | 'label' | 'flow';
  readonly description: string;
}

// Generic so that each column keeps its literal name, type and nullability:
// DatasetRow and the feature types below are derived from them.
const col = <
  const G extends ColumnSpec['group'],
  const N extends string,
  const T extends ColumnType,
  const Nu extends boolean,
>(
  group: G,
  name: N,
  type: T,
  nullable: Nu,
  description: string,
) => ({ group, name, type, nullable, description }) as const;

/** Every column of a dataset row, in file order. */
export const COLUMNS = [
  col('identity', 'run_id', 'VARCHAR', false, 'collection run that produced the row'),
  col('identity', 'ip', 'VARCHAR', false, 'address of the server: IPv4 dotted quad or IPv6 in RFC 5952 text'),
  col('identity', 'port', 'INTEGER', false, 'TCP port probed'),
  col('identity', 'domains', 'VARCHAR[]', false, 'every target name that resolved to this IP (empty for IP targets)'),
  col('identity', 'probed_at', 'TIMESTAMP', false, 'when the probe started (UTC)'),

  col('probe', 'probe_status', 'VARCHAR', false, `what HTTP did: ${PROBE_STATUSES.join(' | ')}`),
  col('probe', 'http_status', 'INTEGER', true, 'HTTP status code, when a response was read'),
  col('probe', 'http_server', 'VARCHAR', true, 'Server response header'),
  col('probe', 'rtt_ms', 'DOUBLE', true, 'SYN to SYN-ACK time in milliseconds'),
  col('probe', 'synack_count', 'INTEGER', true, "SYN-ACKs seen for the row's connection (1 = no duplicate)"),
  col('probe', 'syn_retransmitted', 'BOOLEAN', true, "the connection's SYN was sent more than once"),

  col('ip', 'ip_version', 'INTEGER', true, 'IP version of the SYN-ACK: 4 or 6'),
  col('ip', 'ip_ttl', 'INTEGER', false, 'TTL (IPv6: hop limit) of the SYN-ACK as received'),
  col('ip', 'ip_ittl', 'INTEGER', false, 'inferred initial TTL (32, 64, 128 or 255)'),
  col('ip', 'ip_hops', 'INTEGER', false, 'ip_ittl - ip_ttl'),
  col('ip', 'ip_df', 'BOOLEAN', false, "IP Don't Fragment flag"),
  col('ip', 'ip_id', 'INTEGER', false, 'IP identification field'),
  col('ip', 'ip_tos', 'INTEGER', false, 'DSCP bits of the TOS byte (tos >> 2)'),
  col('ip', 'ip_ecn', 'INTEGER', false, 'ECN bits of the TOS byte (tos & 3)'),
  col('ip', 'ip_olen', 'INTEGER', false, 'length of IP options in bytes'),
  col('ip', 'ip_flow', 'INTEGER', true, 'IPv6 flow label (null for IPv4)'),
  col(
    'ip',
    'ip_ext',
    'VARCHAR',
    true,
    'IPv6 extension headers before TCP, next-header numbers in order (null for IPv4)',
  ),

  col('tcp', 'tcp_window', 'INTEGER', false, 'TCP window field of the SYN-ACK'),
  col('tcp', 'tcp_mss', 'INTEGER', true, 'MSS option value'),
  col('tcp', 'tcp_wscale', 'INTEGER', true, 'window scale option value'),
  col('tcp', 'tcp_sack_ok', 'BOOLEAN', false, 'SACK permitted option present'),
  col('tcp', 'tcp_ts', 'BOOLEAN', false, 'timestamp option present'),
  col('tcp', 'tcp_tsval', 'BIGINT', true, 'timestamp option TSval'),
  col('tcp', 'tcp_options', 'VARCHAR', false, 'raw TCP options, lowercase hex'),
  col('tcp', 'tcp_olayout', 'VARCHAR', false, 'p0f option layout, e.g. mss,sok,ts,nop,ws'),
  col('tcp', 'tcp_quirks', 'VARCHAR', false, 'p0f quirk list, comma-separated as p0f prints it, e.g. df,id+'),
  col('tcp', 'tcp_wsize', 'VARCHAR', false, 'p0f window expression, e.g. mss*44, mtu*4, 65535'),
  col('tcp', 'p0f_sig', 'VARCHAR', false, 'whole p0f v3 raw signature, byte-identical to p0f 3.09b raw_sig'),

  col('syn', 'syn_olayout', 'VARCHAR', false, "option layout of the probe's own SYN"),
  col('syn', 'syn_mss', 'INTEGER', true, "MSS of the probe's own SYN"),

  col('label', 'label', 'VARCHAR', true, 'normalised top-1 class, e.g. Linux 4.X, Windows 2016, embedded'),
  col('label', 'label_acc', 'INTEGER', true, 'Nmap accuracy of the top-1 class (0-100)'),
  col('label', 'label_2', 'VARCHAR', true, 'normalised second distinct class'),
  col('label', 'label_2_acc', 'INTEGER', true, 'Nmap accuracy of label_2'),
  col('label', 'os_vendor', 'VARCHAR', true, 'vendor of the top osclass'),
  col('label', 'os_family', 'VARCHAR', true, 'OS family of the top osclass'),
  col('label', 'os_gen', 'VARCHAR', true, 'OS generation of the top osclass'),
  col('label', 'os_type', 'VARCHAR', true, 'device type of the top osclass'),
  col('label', 'os_cpe', 'VARCHAR', true, 'first CPE of the top osclass'),
  col('label', 'nmap_guesses', 'VARCHAR', true, 'JSON: every osmatch with accuracy and osclasses, ranked'),
  col('label', 'label_status', 'VARCHAR', false, `${LABEL_STATUSES.join(' | ')}`),
  col(
    'label',
    'nmap_closed_port',
    'BOOLEAN',
    true,
    "whether Nmap's OS detection found a closed TCP port (its closed-port tests had a real target)",
  ),
  col(
    'label',
    'nmap_unreliable',
    'BOOLEAN',
    true,
    'Nmap warned "OSScan results may be unreliable" (it did not find at least 1 open and 1 closed port)',
  ),
  col(
    'label',
    'nmap_too_many_matches',
    'BOOLEAN',
    true,
    'Nmap said "Too many fingerprints match this host to give specific OS details" (and gave no guess)',
  ),
  col('label', 'nmap_tries', 'INTEGER', true, 'Nmap OS scans of the host behind this label (1, more when retried)'),
] as const satisfies readonly ColumnSpec[];

/**
 * Label columns that record how Nmap's scan went, not what it guessed: kept
 * as they were when a version is relabelled from its stored guesses.
 */
export const LABEL_QUALITY_COLUMNS = [
  'nmap_closed_port',
  'nmap_unreliable',
  'nmap_too_many_matches',
  'nmap_tries',
] as const satisfies readonly ColumnName[];

export type ColumnName = (typeof COLUMNS)[number]['name'];
export const COLUMN_NAMES: readonly ColumnName[] = COLUMNS.map((c) => c.name);

/**
 * Per-flow statistics, present only in datasets imported from a labelled
 * capture (osfp import-pcap), where the whole TCP connection was recorded. A
 * flow is one TCP connection (both directions); "to_server" is the direction
 * of the SYN, "from_server" the direction of the SYN-ACK. Inter-arrival times
 * need two packets in a direction, else they are null.
 */
export const FLOW_COLUMNS = [
  col('flow', 'flow_packets_to_server', 'INTEGER', false, 'packets sent by the client in the flow'),
  col('flow', 'flow_packets_from_server', 'INTEGER', false, 'packets sent by the server in the flow'),
  col('flow', 'flow_bytes_to_server', 'BIGINT', false, 'IP bytes (headers included) sent by the client'),
  col('flow', 'flow_bytes_from_server', 'BIGINT', false, 'IP bytes (headers included) sent by the server'),
  col('flow', 'flow_duration_ms', 'DOUBLE', false, 'last packet time - first packet time, milliseconds'),
  col('flow', 'flow_iat_to_server_mean_ms', 'DOUBLE', true, 'inter-arrival time mean of packets to server, ms'),
  col(
    'flow',
    'flow_iat_to_server_std_ms',
    'DOUBLE',
    true,
    'inter-arrival time population standard deviation of packets to server, ms',
  ),
  col('flow', 'flow_iat_to_server_min_ms', 'DOUBLE', true, 'inter-arrival time minimum of packets to server, ms'),
  col('flow', 'flow_iat_to_server_max_ms', 'DOUBLE', true, 'inter-arrival time maximum of packets to server, ms'),
  col('flow', 'flow_iat_from_server_mean_ms', 'DOUBLE', true, 'inter-arrival time mean of packets from server, ms'),
  col(
    'flow',
    'flow_iat_from_server_std_ms',
    'DOUBLE',
    true,
    'inter-arrival time population standard deviation of packets from server, ms',
  ),
  col('flow', 'flow_iat_from_server_min_ms', 'DOUBLE', true, 'inter-arrival time minimum of packets from server, ms'),
  col('flow', 'flow_iat_from_server_max_ms', 'DOUBLE', true, 'inter-arrival time maximum of packets from server, ms'),
] as const satisfies readonly ColumnSpec[];

export type FlowColumnName = (typeof FLOW_COLUMNS)[number]['name'];

/** Bumped whenever a column is added or its meaning changes; recorded in manifests. */
export const FEATURE_SCHEMA_VERSION = 2;

type TsType<T extends ColumnType> = T extends 'VARCHAR'
  ? string
  : T extends 'INTEGER' | 'DOUBLE'
    ? number
    : T extends 'BIGINT'
      ? number
      : T extends 'BOOLEAN'
        ? boolean
        : T extends 'TIMESTAMP'
          ? Date
          : T extends 'VARCHAR[]'
            ? string[]
            : never;

type ColumnOf<N extends ColumnName> = Extract<(typeof COLUMNS)[number], { name: N }>;
type ValueOf<C extends ColumnSpec> = C['nullable'] extends true ? TsType<C['type']> | null : TsType<C['type']>;

/** One dataset row, typed from COLUMNS. */
export type DatasetRow = {
  -readonly [N in ColumnName]: ValueOf<ColumnOf<N>>;
} & { probe_status: ProbeStatus; label_status: LabelStatus };

type Pick2<K extends ColumnName> = Pick<DatasetRow, K>;
type NamesIn<G extends ColumnSpec['group']> = Extract<(typeof COLUMNS)[number], { group: G }>['name'];

/** The SYN-ACK's features: what the extractor produces (live capture and pcap alike). */
export type SynAckFeatures = Pick2<NamesIn<'ip'> | NamesIn<'tcp'>>;
/** The probe's own SYN, as recorded beside the features. */
export type SynFeatures = Pick2<NamesIn<'syn'>>;
/** What the probe stage contributes. */
export type ProbeFields = Pick2<NamesIn<'probe'>>;
/** What the label stage contributes. */
export type LabelFields = Pick2<NamesIn<'label'>>;
/** The columns of LabelFields, in record order. */
export const LABEL_COLUMNS: readonly ColumnSpec[] = COLUMNS.filter((c) => c.group === 'label');

/** Per-flow statistics of an imported capture (FLOW_COLUMNS). */
export type FlowStats = {
  -readonly [N in FlowColumnName]: ValueOf<Extract<(typeof FLOW_COLUMNS)[number], { name: N }>>;
};

/** A row as imported from a labelled capture: the record plus its flow's statistics. */
export type CaptureRow = DatasetRow & FlowStats;
