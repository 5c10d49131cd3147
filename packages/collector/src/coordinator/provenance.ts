import { FEATURE_SCHEMA_VERSION, OSFP_VERSION, type Provenance } from '@osfp/dataset';
import { DEFAULT_TAXONOMY, nmapPreflight } from '@osfp/labeler';

/** What made this run's labels, from the coordinator's point of view: its Nmap when it has one. */
export async function coordinatorProvenance(): Promise<Provenance> {
  let nmap: { nmapVersion: string; osDbSha256: string } | null = null;
  try {
    nmap = await nmapPreflight();
  } catch {
    // A pure coordinator may have no Nmap; the workers' Nmap made the labels.
  }
  return {
    toolVersion: OSFP_VERSION,
    nmapVersion: nmap?.nmapVersion ?? null,
    nmapOsDbSha256: nmap?.osDbSha256 ?? null,
    taxonomyVersion: String(DEFAULT_TAXONOMY.version),
    featureSchemaVersion: FEATURE_SCHEMA_VERSION,
  };
}
