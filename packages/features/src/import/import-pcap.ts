/**
 * osfp import-pcap: a dataset version from a capture whose labels are pcapng
 * packet comments (the seed notebook's workflow), one row per labelled TCP
 * flow that holds a server SYN-ACK: the SYN-ACK's features through the same
 * extractor as live capture, plus per-flow statistics (FLOW_COLUMNS).
 *
 * The whole file is read before anything is written, so a truncated or
 * foreign file leaves the store and the datasets untouched. Flows are kept
 * until the end of the file (memory grows with the number of flows, not packets).
 */
import { basename } from 'node:path';
import {
  DatasetInputError,
  FEATURE_SCHEMA_VERSION,
  NO_LABEL,
  OSFP_VERSION,
  openStore,
  sha256OfInput,
  type CaptureRow,
  type ExportFormat,
  type StageCounts,
  type VersionManifest,
} from '@osfp/dataset';
import { describeSyn, extractSynAck, type SynAckExtraction, type SynDescription } from '../signature/extract.ts';
import { readCapture } from '../capture-file/read-capture.ts';
import { DirectionStats, flowStatsOf } from './flow-stats.ts';
import { DEFAULT_LABEL_PATTERN, labelMatcher, type LabelOf } from './label-pattern.ts';
import { readSegmentHeader, TCP_ACK, TCP_SYN, type SegmentHeader } from '../packet-header.ts';

export interface ImportPcapOptions {
  dataDir: string;
  dataset: string;
  labelPattern?: string;
  formats?: ExportFormat[];
}

export interface ImportPcapResult {
  manifest: VersionManifest;
  counts: StageCounts;
  runId: string;
}

type Ok<T> = Extract<T, { ok: true }>;

interface Flow {
  firstMs: number;
  lastMs: number;
  /** Keyed by "src:port>dst:port". */
  directions: Map<string, DirectionStats>;
  syn: { description: Ok<SynDescription>; timeMs: number; seq: number; sends: number } | null;
  synAck: { extraction: Ok<SynAckExtraction>; timeMs: number; at: Date; ack: number } | null;
  /** SYN-ACKs that answered the flow's SYN (the first is the one described). */
  synAckCount: number;
  label: string | null;
}

const BATCH_ROWS = 5000;
// `|`, not `:`, between address and port: IPv6 addresses are full of colons.
const endpoint = (ip: string, port: number) => `${ip}|${port}`;
const directionKey = (s: SegmentHeader) => `${endpoint(s.src, s.srcPort)}>${endpoint(s.dst, s.dstPort)}`;
const flowKey = (s: SegmentHeader) => {
  const a = endpoint(s.src, s.srcPort);
  const b = endpoint(s.dst, s.dstPort);
  return a < b ? `${a}|${b}` : `${b}|${a}`;
};

export async function importPcap(file: string, opts: ImportPcapOptions): Promise<ImportPcapResult> {
  const labelPattern = opts.labelPattern ?? DEFAULT_LABEL_PATTERN;
  const labelOf = labelMatcher(labelPattern);
  const fileSha256 = await sha256OfInput(file, 'capture');
  const runId = `pcap-${fileSha256.slice(0, 16)}`;
  const { rows, counts, firstPacketAt } = await flowsToRows(file, runId, labelOf);
  if (rows.length === 0) {
    throw new DatasetInputError(
      `${file}: no labelled flow with a SYN-ACK (${counts['flows']} TCP flows, ${counts['flows_with_synack']} with a SYN-ACK, ` +
        `${counts['comments_matched']} of ${counts['comments']} packet comments matched --label-pattern ${JSON.stringify(labelPattern)}); nothing imported`,
    );
  }
  const provenance = {
    toolVersion: OSFP_VERSION,
    nmapVersion: null,
    nmapOsDbSha256: null,
    taxonomyVersion: null,
    featureSchemaVersion: FEATURE_SCHEMA_VERSION,
  };
  const store = await openStore(opts.dataDir);
  try {
    await store.registerRun({
      runId,
      dataset: opts.dataset,
      startedAt: firstPacketAt ?? new Date(0),
      targetsFile: basename(file),
      targetsSha256: fileSha256,
      options: { source: 'import-pcap', labelPattern },
      provenance,
    });
    // Same file, same run id and batch ids: importing it again writes nothing twice.
    for (let i = 0; i * BATCH_ROWS < rows.length; i++) {
      await store.writeBatch(
        runId,
        `pcap-${String(i).padStart(6, '0')}`,
        rows.slice(i * BATCH_ROWS, (i + 1) * BATCH_ROWS),
      );
    }
    await store.recordCounts(runId, counts);
    const manifest = await store.buildVersion(opts.dataset, {
      runs: [runId],
      provenance,
      counts,
      formats: opts.formats ?? [],
    });
    return { manifest, counts, runId };
  } finally {
    await store.close();
  }
}

async function flowsToRows(
  file: string,
  runId: string,
  labelOf: LabelOf,
): Promise<{ rows: CaptureRow[]; counts: StageCounts; firstPacketAt: Date | null }> {
  const counts: StageCounts = {
    packets: 0,
    tcp_packets: 0,
    comments: 0,
    comments_matched: 0,
    flows: 0,
    flows_with_synack: 0,
    synacks_rejected: 0,
    label_conflicts: 0,
    unlabelled_flows: 0,
    written: 0,
  };
  const open = new Map<string, Flow>();
  const rows: CaptureRow[] = [];
  let firstPacketAt: Date | null = null;

  const finish = (flow: Flow) => {
    counts['flows']!++;
    if (!flow.synAck) return;
    counts['flows_with_synack']!++;
    if (flow.label === null) {
      counts['unlabelled_flows']!++;
      return;
    }
    rows.push(rowOf(runId, flow, flow.synAck, flow.label));
  };

  for await (const pkt of readCapture(file)) {
    counts['packets']!++;
    firstPacketAt ??= pkt.ts;
    const seg = pkt.ipPacket ? readSegmentHeader(pkt.ipPacket) : null;
    if (!seg || !pkt.ipPacket) continue;
    counts['tcp_packets']!++;
    const timeMs = pkt.tsSeconds * 1000 + pkt.tsNanos / 1e6;
    const key = flowKey(seg);
    let flow = open.get(key);
    const syn = (seg.flags & TCP_SYN) !== 0;
    const ack = (seg.flags & TCP_ACK) !== 0;
    const bareSyn = syn && !ack;
    if (flow && bareSyn && flow.synAck) {
      // A new connection on the same 4-tuple (port reuse): the old flow is complete.
      finish(flow);
      flow = undefined;
    }
    if (!flow) {
      flow = {
        firstMs: timeMs,
        lastMs: timeMs,
        directions: new Map(),
        syn: null,
        synAck: null,
        synAckCount: 0,
        label: null,
      };
      open.set(key, flow);
    }
    flow.lastMs = timeMs;
    const dir = directionKey(seg);
    let stats = flow.directions.get(dir);
    if (!stats) flow.directions.set(dir, (stats = new DirectionStats()));
    stats.add(timeMs, seg.ipBytes);

    if (bareSyn && !flow.syn) {
      const description = describeSyn(pkt.ipPacket);
      if (description.ok) flow.syn = { description, timeMs, seq: seg.seq, sends: 1 };
    } else if (bareSyn && flow.syn && seg.seq === flow.syn.seq) {
      flow.syn.sends++; // a retransmission of the flow's SYN
    } else if (syn && ack && (!flow.syn || seg.ack === (flow.syn.seq + 1) >>> 0)) {
      // Only a SYN-ACK that acknowledges the flow's SYN answers it (when the SYN is in the file).
      if (flow.synAck) {
        if (seg.ack === flow.synAck.ack) flow.synAckCount++;
      } else {
        const extraction = extractSynAck(pkt.ipPacket, flow.syn?.description.raw ?? null);
        if (extraction.ok) {
          flow.synAck = { extraction, timeMs, at: pkt.ts, ack: seg.ack };
          flow.synAckCount = 1;
        } else counts['synacks_rejected']!++;
      }
    }
    for (const comment of pkt.comments) {
      counts['comments']!++;
      const label = labelOf(comment);
      if (label === null) continue;
      counts['comments_matched']!++;
      // The seed's rule: the flow's first labelled packet names it.
      if (flow.label === null) flow.label = label;
      else if (flow.label !== label) counts['label_conflicts']!++;
    }
  }
  for (const flow of open.values()) finish(flow);
  counts['written'] = rows.length;
  return { rows, counts, firstPacketAt };
}

function rowOf(runId: string, flow: Flow, synAck: NonNullable<Flow['synAck']>, label: string): CaptureRow {
  const ex = synAck.extraction;
  const server = endpoint(ex.src, ex.srcPort);
  const client = endpoint(ex.dst, ex.dstPort);
  const toServer = flow.directions.get(`${client}>${server}`) ?? new DirectionStats();
  const fromServer = flow.directions.get(`${server}>${client}`) ?? new DirectionStats();
  const syn = flow.syn?.description ?? null;
  return {
    run_id: runId,
    ip: ex.src,
    port: ex.srcPort,
    domains: [],
    probed_at: synAck.at,
    probe_status: 'passive',
    http_status: null,
    http_server: null,
    rtt_ms: flow.syn ? synAck.timeMs - flow.syn.timeMs : null,
    synack_count: flow.synAckCount,
    syn_retransmitted: flow.syn ? flow.syn.sends > 1 : null,
    ...ex.features,
    // Not null by schema: an empty layout says the client's SYN was not in the capture.
    syn_olayout: syn?.syn_olayout ?? '',
    syn_mss: syn?.syn_mss ?? null,
    ...NO_LABEL,
    label,
    label_status: 'ok',
    ...flowStatsOf(toServer, fromServer, flow.firstMs, flow.lastMs),
  };
}
