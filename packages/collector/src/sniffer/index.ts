export {
  startSniffer,
  captureMethodFromEnv,
  captureBlockMsFromEnv,
  DEFAULT_CAPTURE_BLOCK_MS,
  type CaptureMethod,
  type Sniffer,
  type SnifferOptions,
  type CaptureStats,
  type SynWatch,
} from './sniffer.ts';
export {
  SynAckTable,
  connectionKey,
  type CapturedPacket,
  type CapturedSynAck,
  type SynAckTableOptions,
  type SynAckTableStats,
} from './synack-table.ts';
export { CaptureFrameDecoder, type CaptureFrame, type AnsweredSyn, type CaptureCounts } from './capture-frames.ts';
export { SynPairing, type SentSyn, type SynAckVerdict } from './syn-pairing.ts';
export { captureFilter, type PortRange } from './capture-filter.ts';
