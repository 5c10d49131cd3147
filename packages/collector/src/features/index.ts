export { extractSynAck, describeSyn } from './extract.ts';
export type { SynContext, SynAckExtraction, SynDescription } from './extract.ts';
export { initialTtl, rawSignature, windowExpression } from './p0f-signature.ts';
export { QUIRK_ORDER } from './p0f-packet.ts';
export type { Quirk } from './p0f-packet.ts';
export { featuresFromCapture, newStats, FEATURE_COLUMNS } from './capture-features.ts';
export type { CaptureFeatureRecord, CaptureFeatureStats } from './capture-features.ts';
