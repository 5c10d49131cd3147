export { makeLabelledFlowsCapture, type FixtureFlow } from './labelled-flows.ts';

/** A recorded capture of SYN-ACKs (their p0f 3.09b raw_sigs are in test/fixtures/synacks.p0f-raw-sigs.txt). */
export const SYNACKS_PCAP = new URL('../test/fixtures/synacks.pcap', import.meta.url).pathname;
export { runP0f, type P0fRun, type P0fSynAckVerdict } from './p0f-run.ts';
