// SYN-ACK features and p0f signatures (byte-identical to p0f 3.09b).
export { extractSynAck, describeSyn } from './signature/extract.ts';
export type { SynContext, SynAckExtraction, SynDescription } from './signature/extract.ts';
export { initialTtl, rawSignature, windowExpression } from './signature/p0f-signature.ts';
export { QUIRK_ORDER } from './signature/p0f-packet.ts';
export type { Quirk } from './signature/p0f-packet.ts';

// The routing fields of a packet (capture paths).
export {
  readSegmentHeader,
  tcpOffset,
  tcpFlags,
  tcpDstPort,
  isSynAck,
  isOpeningSyn,
  dottedQuad,
  ipv6Text,
  locateTcp,
} from './packet-header.ts';
export type { SegmentHeader, TcpLocation } from './packet-header.ts';

// Capture files: pcap/pcapng reading and writing, feature records from a file.
export { readCapture } from './capture-file/read-capture.ts';
export type { CaptureRecord } from './capture-file/read-capture.ts';
export { createPcapWriter } from './capture-file/pcap-writer.ts';
export type { PcapWriter } from './capture-file/pcap-writer.ts';
export { CaptureError } from './capture-file/capture-error.ts';
export { LINKTYPE, ipPacketOf, isSupportedLinkType } from './capture-file/link-layer.ts';
export {
  featuresFromCapture,
  newStats,
  FEATURE_COLUMNS,
  SYN_ANSWER_WINDOW_MS,
} from './capture-file/capture-features.ts';
export type { CaptureFeatureRecord, CaptureFeatureStats } from './capture-file/capture-features.ts';

// p0f's fingerprint database, matched the way p0f does, as an evaluation baseline.
export { DEFAULT_P0F_DB_PATH, P0fDatabaseError, loadP0fDatabase, parseP0fDatabase } from './p0f-db/database.ts';
export type { P0fDatabase, P0fLabel, P0fTcpSignature } from './p0f-db/database.ts';
export { parseObservedSignature } from './p0f-db/observed.ts';
export type { ObservedSignature } from './p0f-db/observed.ts';
export { P0F_MAX_DIST, findMatch, guessDistance, layoutMatcher, matchSynAck } from './p0f-db/match.ts';
export type { ObservedSynAck, P0fMatch, P0fMatchQuality } from './p0f-db/match.ts';
export { P0F_QUIRKS, P0fSignatureError } from './p0f-db/signature.ts';
export type { P0fQuirk, WindowTerm } from './p0f-db/signature.ts';
export { mapP0fLabel } from './p0f-db/taxonomy-map.ts';
export type { TaxonomyMapping } from './p0f-db/taxonomy-map.ts';
export { learnedDatabaseBaseline, learnedP0fBaseline, p0fBaseline } from './p0f-db/baseline.ts';

// A p0f database learned from a labelled dataset version (osfp dataset p0f-db).
export { DEFAULT_LEARN_OPTIONS, P0fLearnError, learnP0fDatabase, requireSignatures } from './p0f-db/learn-database.ts';
export type {
  LearnOptions,
  LearnedDatabase,
  LearnedSignature,
  LeftOutReason,
  LeftOutSignature,
} from './p0f-db/learn-database.ts';
export type { LabelledSynAck, SignatureEvidence, ObservedEvidence } from './p0f-db/evidence.ts';
export { GENERALISED_FIELDS } from './p0f-db/generalise.ts';
export { renderP0fDatabase } from './p0f-db/write-database.ts';
export { P0F_DB_SPLITS, writeVersionP0fDatabase } from './p0f-db/version-database.ts';
export type { P0fDbSplit, VersionDatabaseOptions, VersionDatabaseResult } from './p0f-db/version-database.ts';
export type { DatabaseCitation } from './p0f-db/write-database.ts';
export { coveringSignature } from './p0f-db/load-check.ts';
export { exactFields, formatLabel, formatSignature } from './p0f-db/signature-text.ts';
export type { P0fLabelFields, P0fSignatureFields } from './p0f-db/signature-text.ts';

// A dataset version from a capture labelled by packet comments.
export { importPcap, type ImportPcapOptions, type ImportPcapResult } from './import/import-pcap.ts';
export { DEFAULT_LABEL_PATTERN, labelMatcher } from './import/label-pattern.ts';
