export { importPcap, type ImportPcapOptions, type ImportPcapResult } from './import-pcap.ts';
export { DEFAULT_LABEL_PATTERN, labelMatcher } from './label-pattern.ts';
