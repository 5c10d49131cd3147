/**
 * Train an OS classifier on an exported osfp dataset, the way a researcher
 * would: read the export (Parquet or CSV), pick the SYN-ACK features, split,
 * train a random forest, print accuracy figures.
 *
 *   pnpm osfp dataset export web --format parquet --out web.parquet
 *   node --import tsx examples/train-from-parquet.ts web.parquet [--seed 1] [--trees 25]
 *
 * The CSV export works too (web.csv). Libraries: hyparquet (Parquet),
 * csv-parse (CSV), ml-random-forest (mljs). For a fuller evaluation (top-2,
 * per-class table, p0f beside the model) use `osfp dataset evaluate`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { RandomForestClassifier } from 'ml-random-forest';

type Row = Record<string, unknown>;

/** The SYN-ACK fields that describe the sender's TCP/IP stack (not the path to it: no ip_ttl or ip_hops). */
const NUMERIC = ['ip_ittl', 'tcp_window', 'tcp_mss', 'tcp_wscale', 'ip_olen'] as const;
const BOOLEAN = ['ip_df', 'tcp_sack_ok', 'tcp_ts'] as const;
const CATEGORICAL = ['tcp_olayout', 'tcp_quirks'] as const;

async function readExport(path: string): Promise<Row[]> {
  if (path.endsWith('.parquet')) {
    return (await parquetReadObjects({ file: await asyncBufferFromFile(path) })) as Row[];
  }
  if (path.endsWith('.csv')) {
    // osfp's CSV: a header line, RFC 4180 quoting, empty field = null, booleans as true/false.
    return parse(readFileSync(path), { columns: true, skip_empty_lines: true }) as Row[];
  }
  throw new Error(
    `${path}: expected a .parquet or .csv export (osfp dataset export NAME --format parquet|csv --out FILE)`,
  );
}

const num = (v: unknown): number => (v === null || v === undefined || v === '' ? -1 : Number(v));
const bool = (v: unknown): number => (v === true || v === 'true' ? 1 : 0);

/** A small seeded PRNG (mulberry32), so the split is the same on every run. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { seed: { type: 'string', default: '1' }, trees: { type: 'string', default: '25' } },
  });
  const path = positionals[0];
  if (!path) throw new Error('usage: train-from-parquet.ts EXPORT.parquet|EXPORT.csv [--seed N] [--trees N]');
  const seed = Number(values.seed);

  const all = await readExport(path);
  const rows = all.filter((r) => r['label_status'] === 'ok' && typeof r['label'] === 'string' && r['label'] !== '');
  const classes = [...new Set(rows.map((r) => String(r['label'])))].sort();
  console.log(`rows: ${rows.length} labelled of ${all.length}, ${classes.length} classes`);
  if (classes.length < 2) throw new Error('need at least two classes to train a classifier');

  // Categorical strings become their rank in the sorted vocabulary (fine for trees).
  const vocab = Object.fromEntries(
    CATEGORICAL.map((c) => [c, [...new Set(rows.map((r) => String(r[c] ?? '')))].sort()]),
  );
  const features = (r: Row): number[] => [
    ...NUMERIC.map((c) => num(r[c])),
    ...BOOLEAN.map((c) => bool(r[c])),
    num(r['ip_id']) === 0 ? 1 : 0,
    ...CATEGORICAL.map((c) => vocab[c]?.indexOf(String(r[c] ?? '')) ?? -1),
  ];

  // Stratified split: a quarter of every class is held out.
  const random = seeded(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (const cls of classes) {
    const idx = rows.flatMap((r, i) => (r['label'] === cls ? [i] : []));
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [idx[i], idx[j]] = [idx[j] as number, idx[i] as number];
    }
    const nTest = idx.length < 2 ? 0 : Math.max(1, Math.round(idx.length / 4));
    test.push(...idx.slice(0, nTest));
    train.push(...idx.slice(nTest));
  }
  console.log(`train ${train.length}, test ${test.length}`);

  const y = (i: number) => classes.indexOf(String(rows[i]?.['label']));
  const forest = new RandomForestClassifier({
    nEstimators: Number(values.trees),
    seed,
    maxFeatures: 0.7,
    replacement: false,
    useSampleBagging: true,
  });
  forest.train(
    train.map((i) => features(rows[i] as Row)),
    train.map(y),
  );
  const predicted = forest.predict(test.map((i) => features(rows[i] as Row)));

  const truth = test.map(y);
  const correct = predicted.filter((p, k) => p === truth[k]).length;
  const recalls = classes.flatMap((_, c) => {
    const ofClass = truth.flatMap((t, k) => (t === c ? [k] : []));
    return ofClass.length === 0 ? [] : [ofClass.filter((k) => predicted[k] === c).length / ofClass.length];
  });
  console.log(`top-1 accuracy: ${(correct / Math.max(1, test.length)).toFixed(3)}`);
  console.log(`balanced accuracy: ${(recalls.reduce((a, b) => a + b, 0) / Math.max(1, recalls.length)).toFixed(3)}`);
  for (const [c, cls] of classes.entries()) {
    const n = truth.filter((t) => t === c).length;
    const hit = truth.filter((t, k) => t === c && predicted[k] === c).length;
    console.log(`  ${cls.padEnd(20)} recall ${n === 0 ? '-' : (hit / n).toFixed(3)} (${n} test rows)`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
