/**
 * manifest.json of a version: everything needed to trust and reproduce it.
 * Read back through a zod schema so that a truncated or foreign file is
 * reported as such instead of failing later somewhere else.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { DatasetInputError, messageOf } from './errors.ts';

export const MANIFEST_FORMAT = 'osfp-dataset-version/1';

const columnSchema = z.object({ name: z.string(), type: z.string(), nullable: z.boolean() });

const runSchema = z.object({
  runId: z.string(),
  startedAt: z.string(),
  targetsFile: z.string().nullable(),
  targetsSha256: z.string().nullable(),
  options: z.record(z.string(), z.unknown()),
});

const provenanceSchema = z.object({
  toolVersion: z.string(),
  nmapVersion: z.string().nullable(),
  nmapOsDbSha256: z.string().nullable(),
  taxonomyVersion: z.string().nullable(),
  featureSchemaVersion: z.number().int(),
});

const fileSchema = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative() });

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  dataset: z.string(),
  version: z.number().int().positive(),
  parent: z.number().int().positive().nullable(),
  createdAt: z.string(),
  /** sha256 over the schema and the rows (sorted), never over timestamps: same inputs, same hash. */
  contentSha256: z.string().regex(/^[0-9a-f]{64}$/),
  rows: z.number().int().nonnegative(),
  derivedFrom: z
    .object({
      dataset: z.string(),
      version: z.number().int(),
      operation: z.string(),
      detail: z.record(z.string(), z.unknown()),
    })
    .nullable(),
  runs: z.array(runSchema),
  counts: z.record(z.string(), z.number()),
  classHistogram: z.array(z.object({ label: z.string().nullable(), count: z.number().int() })),
  schema: z.object({ featureSchemaVersion: z.number().int(), columns: z.array(columnSchema) }),
  provenance: provenanceSchema,
  files: z.record(z.string(), fileSchema),
});

export type VersionManifest = z.infer<typeof manifestSchema>;
export type ManifestRun = z.infer<typeof runSchema>;
export type ManifestColumn = z.infer<typeof columnSchema>;

/** Reads and checks a manifest; `what` names the version in errors (e.g. "web@3"). */
export async function readManifest(path: string, what: string): Promise<VersionManifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new DatasetInputError(`${what}: cannot read its manifest ${path} (${messageOf(error)})`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DatasetInputError(
      `${what}: ${path} is not valid JSON (truncated or foreign file?): ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'unknown problem';
    throw new DatasetInputError(`${what}: ${path} is not an osfp ${MANIFEST_FORMAT} manifest (${where})`);
  }
  return parsed.data;
}
