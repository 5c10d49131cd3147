export { startSniffer, type Sniffer, type SnifferOptions, type CaptureStats, type SynWatch } from './sniffer.ts';
export {
  SynAckTable,
  connectionKey,
  type CapturedPacket,
  type SynAckTableOptions,
  type SynAckTableStats,
} from './synack-table.ts';
export { CaptureFrameDecoder, type CaptureFrame } from './capture-frames.ts';
