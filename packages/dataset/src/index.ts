export * from './schema.ts';
export { UserError, DatasetInputError, isUserFixable, messageOf } from './errors.ts';
export { NO_LABEL, unlabelledFields } from './label-columns.ts';
export { OSFP_VERSION } from './tool-version.ts';
export { sha256File, sha256OfInput } from './file-hash.ts';
export {
  parseVersionRef,
  validateDatasetName,
  validateRunId,
  formatVersionRef,
  type VersionRef,
} from './version-ref.ts';
export { checkPathName, isPathName, PATH_NAME_RULE, type PathNameKind } from './path-name.ts';
export type { Provenance, StageCounts } from './provenance.ts';
export { openStore, type DatasetStore, type RunInfo, type BuildOptions } from './store.ts';
export { MANIFEST_FORMAT, type VersionManifest, type ManifestRun, type ManifestColumn } from './manifest.ts';
export type { ExportFormat } from './version-writer.ts';
export { listDatasets, showVersion, resolveVersion, type DatasetSummary, type ResolvedVersion } from './versions.ts';
export { verifyVersion, type VerifyResult } from './verify.ts';
export { exportVersion, EXPORT_FORMATS, type ExportResult } from './export.ts';
export { diffVersions, type VersionDiff } from './diff.ts';
export { relabelVersion, type RelabelFn, type RelabelOptions } from './relabel.ts';
export { formatManifest, formatDiff, formatVerify, formatDatasetList } from './report.ts';
export { duckdbConfig } from './duckdb-files.ts';
export { STORE_FILE, DATA_PARQUET, DATA_CSV, MANIFEST_FILE } from './layout.ts';
export * from './evaluate/index.ts';
