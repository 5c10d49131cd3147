export { readCapture } from './read-capture.ts';
export type { CapturedPacket } from './read-capture.ts';
export { createPcapWriter } from './pcap-writer.ts';
export type { PcapWriter } from './pcap-writer.ts';
export { CaptureError } from './capture-error.ts';
export { LINKTYPE, ipPacketOf, isSupportedLinkType } from './link-layer.ts';
