/**
 * One step of the dataset-scale benchmark, run in its own process so that its
 * time and peak RSS are its own (and no DuckDB cache carries over):
 *
 *   setup DIR ROWS BATCH_ROWS   a store with one run of ROWS rows, one row file per BATCH_ROWS rows
 *   build DIR                   merge the run's batch files, then store.buildVersion (osfp dataset build)
 *   show DIR                    the version's manifest, formatted (osfp dataset show)
 *   export DIR parquet|csv OUT  exportVersion (osfp dataset export)
 *   evaluate DIR                evaluateVersion with the p0f baseline when installed (osfp dataset evaluate)
 *   labels DIR OUT              store.writeLatestLabels over the dataset (collect --label-max-age)
 *
 * Prints one JSON line: {seconds, openSeconds, compactSeconds, cpuSeconds, rows, peakRssMb}: `seconds`
 * is the operation (for build, merge included; `compactSeconds` is the merge), `openSeconds` opening the
 * store where the step needs it.
 */
import {
  DEFAULT_EVALUATE_OPTIONS,
  evaluateVersion,
  exportVersion,
  formatManifest,
  openStore,
  resolveVersion,
  showVersion,
  type DatasetStore,
  type PassiveBaseline,
} from '@osfp/dataset';
import { DEFAULT_P0F_DB_PATH, loadP0fDatabase, p0fBaseline } from '@osfp/features';
import { syntheticRowsSql } from './synthetic-store-rows.ts';

const RUN = 'scale-run';
const DATASET = 'scale';
/** --label-max-age of the label step: every synthetic row is younger. */
const LABEL_MAX_AGE_MS = 30 * 86_400_000;

const [mode = '', dir = '', arg = '', out = ''] = process.argv.slice(2);

let seconds = 0;
let openSeconds = 0;
let compactSeconds = 0;

async function timed<T>(fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    seconds = (performance.now() - started) / 1000;
  }
}

async function withStore<T>(fn: (store: DatasetStore) => Promise<T>): Promise<T> {
  const opened = performance.now();
  const store = await openStore(dir);
  openSeconds = (performance.now() - opened) / 1000;
  try {
    return await timed(() => fn(store));
  } finally {
    await store.close();
  }
}

/** `rows` rows of distinct addresses, a batch file per `batchRows`, written like a coordinator's run. */
async function setup(rows: number, batchRows: number): Promise<number> {
  return withStore(async (store) => {
    await store.registerRun({
      runId: RUN,
      dataset: DATASET,
      startedAt: new Date(),
      targetsFile: null,
      targetsSha256: null,
      options: { batchSize: batchRows },
    });
    const probedUntil = { at: new Date(), total: rows };
    for (let from = 0, batch = 0; from < rows; from += batchRows, batch++) {
      const sql = syntheticRowsSql({
        runId: RUN,
        from,
        to: Math.min(rows, from + batchRows),
        batchIdSql: `'${batch}'`,
        addresses: 'distinct',
        probedUntil,
        failedLabelsEvery: 10,
        features: 'by-class',
      });
      await store.writeBatchFromSql(RUN, String(batch), sql);
    }
    return rows;
  });
}

async function step(): Promise<number> {
  switch (mode) {
    case 'setup':
      return setup(Number(arg), Number(out));
    case 'build':
      return withStore(async (store) => {
        const started = performance.now();
        await store.compact([RUN]);
        compactSeconds = (performance.now() - started) / 1000;
        return (await store.buildVersion(DATASET, { runs: [RUN] })).rows;
      });
    case 'show':
      return (await timed(async () => formatManifest(await showVersion(dir, DATASET)))).length;
    case 'export':
      return (await timed(() => exportVersion(dir, DATASET, { format: arg === 'csv' ? 'csv' : 'parquet', out }))).rows;
    case 'evaluate': {
      const passive: PassiveBaseline | null = await loadP0fDatabase(DEFAULT_P0F_DB_PATH).then(p0fBaseline, () => null);
      const version = await resolveVersion(dir, DATASET);
      const result = await timed(() => evaluateVersion(version.dir, { ...DEFAULT_EVALUATE_OPTIONS, passive }));
      return result.report.rows.total;
    }
    case 'labels':
      return (await withStore((store) => store.writeLatestLabels(DATASET, LABEL_MAX_AGE_MS, arg))).labels;
    default:
      throw new Error(`dataset-scale step: unknown mode "${mode}"`);
  }
}

const cpu = process.cpuUsage();
const rows = await step();
const used = process.cpuUsage(cpu);
process.stdout.write(
  `${JSON.stringify({ seconds, openSeconds, compactSeconds, cpuSeconds: (used.user + used.system) / 1e6, rows, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
);
