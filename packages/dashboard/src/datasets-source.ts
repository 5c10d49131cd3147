import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  DATA_CSV,
  DATA_PARQUET,
  diffVersions,
  exportVersion,
  listDatasets,
  readEvaluation,
  resolveVersion,
  validateDatasetName,
  type DatasetSummary,
  type VersionDiff,
} from '@osfp/dataset';
import type { DownloadLink, VersionDetail } from './api-types.ts';

export type DownloadFormat = DownloadLink['format'];

/** A file to send: its bytes as a stream, its size when known, and the name the browser saves it under. */
export interface Download {
  readonly body: ReadableStream<Uint8Array>;
  readonly bytes: number;
  readonly fileName: string;
  readonly contentType: string;
}

export const downloadHref = (name: string, version: number, format: DownloadFormat): string =>
  `/download/${encodeURIComponent(name)}/v${version}/data.${format}`;

/**
 * Datasets and versions as the dashboard shows them, read through the
 * dataset package (manifests checked, names checked by the one path rule):
 * never written to. A CSV the version does not hold is exported to a
 * temporary file outside the data directory, sent, and removed.
 */
export class DatasetsSource {
  constructor(private readonly dataDir: string) {}

  list(): Promise<DatasetSummary[]> {
    return listDatasets(this.dataDir);
  }

  async version(name: string, version: number): Promise<VersionDetail> {
    validateDatasetName(name);
    const v = await resolveVersion(this.dataDir, { name, version });
    const evaluation = await readEvaluation(v.dir).catch(() => null);
    const summary = (await this.list()).find((d) => d.name === name);
    const file = (f: string) => v.manifest.files[f];
    return {
      manifest: v.manifest,
      evaluation: evaluation?.report ?? null,
      versions: summary?.versions.map((x) => x.version) ?? [v.version],
      downloads: (['parquet', 'csv'] as const).map((format) => {
        const held = file(format === 'parquet' ? DATA_PARQUET : DATA_CSV);
        return {
          format,
          href: downloadHref(name, v.version, format),
          bytes: held?.bytes ?? null,
          sha256: held?.sha256 ?? null,
        };
      }),
    };
  }

  diff(name: string, a: number, b: number): Promise<VersionDiff> {
    validateDatasetName(name);
    return diffVersions(this.dataDir, { name, version: a }, { name, version: b });
  }

  async download(name: string, version: number, format: DownloadFormat): Promise<Download> {
    validateDatasetName(name);
    const v = await resolveVersion(this.dataDir, { name, version });
    const fileName = `${name}-v${version}.${format}`;
    const contentType = format === 'parquet' ? 'application/vnd.apache.parquet' : 'text/csv; charset=utf-8';
    const held = join(v.dir, format === 'parquet' ? DATA_PARQUET : DATA_CSV);
    if (format === 'parquet' || DATA_CSV in v.manifest.files) {
      return { body: webStream(held), bytes: (await stat(held)).size, fileName, contentType };
    }
    const dir = await mkdtemp(join(tmpdir(), 'osfp-ui-csv-'));
    const out = join(dir, fileName);
    try {
      await exportVersion(this.dataDir, { name, version }, { format: 'csv', out });
      const bytes = (await stat(out)).size;
      return {
        body: webStream(out, () => void rm(dir, { recursive: true, force: true })),
        bytes,
        fileName,
        contentType,
      };
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }
}

function webStream(path: string, onEnd?: () => void): ReadableStream<Uint8Array> {
  const stream = createReadStream(path);
  if (onEnd) stream.once('close', onEnd);
  return Readable.toWeb(stream) as ReadableStream<Uint8Array>;
}
