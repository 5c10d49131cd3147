/**
 * What the dashboard's JSON API returns (`/api/...`): the browser code and
 * the server share these types. Type-only: nothing here runs.
 */
import type { ProgressSnapshot, RunSummary } from '@osfp/collector';
import type {
  ConfusionMatrix,
  DatasetSummary,
  EvaluationReport,
  TruthReport,
  VersionDiff,
  VersionManifest,
} from '@osfp/dataset';

export type RunStatus = 'running' | 'silent' | 'complete' | 'interrupted' | 'failed' | 'unknown';

export interface RunListItem {
  readonly runId: string;
  readonly dataset: string | null;
  readonly status: RunStatus;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly batches: number | null;
  readonly written: number | null;
  readonly rows: number | null;
}

/** A batch stage that failed: for good (`failed`) or with retries left (`retrying`). */
export interface StageFailure {
  readonly queue: string;
  readonly jobId: string;
  readonly batch: number | null;
  readonly state: 'failed' | 'retrying';
  readonly attempts: number;
  readonly reason: string;
  readonly at: number | null;
}

export interface RunDetail {
  readonly runId: string;
  readonly status: RunStatus;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  /** The run's options as recorded (Redis URL without its password). */
  readonly options: Readonly<Record<string, unknown>> | null;
  /** The live (or last) progress snapshot, when a coordinator published one. */
  readonly snapshot: ProgressSnapshot | null;
  /** Epoch ms of the coordinator's last report. */
  readonly updatedAt: number | null;
  readonly summary: RunSummary | null;
  readonly failures: readonly StageFailure[];
  /** Why live data is missing (no Redis, Redis unreachable), when it is. */
  readonly liveNote: string | null;
}

export interface Overview {
  readonly dataDir: string;
  readonly redis: { readonly url: string | null; readonly origin: string; readonly connected: boolean };
  readonly readOnly: true;
}

export interface DownloadLink {
  readonly format: 'parquet' | 'csv';
  readonly href: string;
  /** Size and hash when the version holds the file; null for a CSV made on request. */
  readonly bytes: number | null;
  readonly sha256: string | null;
}

export interface VersionDetail {
  readonly manifest: VersionManifest;
  readonly downloads: readonly DownloadLink[];
  readonly evaluation: EvaluationReport | null;
  /** Other versions of the dataset, to diff against. */
  readonly versions: readonly number[];
}

export type {
  ConfusionMatrix,
  DatasetSummary,
  EvaluationReport,
  ProgressSnapshot,
  RunSummary,
  TruthReport,
  VersionDiff,
  VersionManifest,
};
