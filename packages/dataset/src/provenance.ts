/** What produced a version, recorded in its manifest rather than per row. */
export interface Provenance {
  toolVersion: string;
  nmapVersion: string | null;
  nmapOsDbSha256: string | null;
  taxonomyVersion: string | null;
  featureSchemaVersion: number;
}

/** Rows seen at each pipeline stage, e.g. targets_read, resolved, excluded, probed, responsive, labelled, written. */
export interface StageCounts {
  [stage: string]: number;
}
