import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import {
  EXPORT_FORMATS,
  diffVersions,
  exportVersion,
  formatDatasetList,
  formatDiff,
  formatManifest,
  formatVerify,
  listDatasets,
  openStore,
  parseVersionRef,
  readEvaluation,
  renderEvaluationSummary,
  REPORT_MD,
  resolveVersion,
  relabelVersion,
  showVersion,
  STORE_FILE,
  validateDatasetName,
  validateRunId,
  verifyVersion,
  type ExportFormat,
} from '@osfp/dataset';
import { DEFAULT_TAXONOMY, parseTaxonomy, relabel, type Taxonomy } from '@osfp/labeler';
import { UsageError } from '../usage-error.ts';
import { dataDirOption } from './data-dir-option.ts';
import { datasetEvaluateCommand } from './dataset-evaluate.ts';
import { datasetP0fDbCommand } from './dataset-p0f-db.ts';

interface DataDirOpts {
  dataDir: string;
}

const print = (text: string) => process.stdout.write(text);
const printJson = (value: unknown) => print(`${JSON.stringify(value, null, 2)}\n`);

/** Checks NAME[@V] while parsing, so a bad reference is refused before anything runs. */
function refArgument(s: string): string {
  parseVersionRef(s);
  return s;
}

export function datasetCommand(): Command {
  const dataset = new Command('dataset').description(
    'List, show, diff, export, verify, build, relabel and evaluate immutable dataset versions, and learn p0f databases from them (NAME@V; no @V = latest)',
  );

  dataset.addCommand(
    new Command('ls')
      .description('list datasets and their versions')
      .addOption(dataDirOption())
      .option('--json', 'print JSON')
      .action(async (opts: DataDirOpts & { json?: boolean }) => {
        const list = await listDatasets(opts.dataDir);
        if (opts.json) printJson(list);
        else print(formatDatasetList(list));
      }),
  );

  dataset.addCommand(
    new Command('show')
      .description("show a version's manifest and class histogram")
      .argument('<ref>', 'NAME[@V]', refArgument)
      .addOption(dataDirOption())
      .option('--json', 'print the manifest as JSON')
      .action(async (ref: string, opts: DataDirOpts & { json?: boolean }) => {
        const manifest = await showVersion(opts.dataDir, ref);
        if (opts.json) printJson(manifest);
        else print(formatManifest(manifest));
        // The report of `osfp dataset evaluate`, when the version has one.
        const evaluation = opts.json ? null : await readEvaluation((await resolveVersion(opts.dataDir, ref)).dir);
        if (evaluation) print(`\n${renderEvaluationSummary(evaluation.report, join(evaluation.dir, REPORT_MD))}`);
      }),
  );

  dataset.addCommand(
    new Command('diff')
      .description(
        'compare two versions: rows added, removed, relabelled (keyed by ip and port) and the histogram change',
      )
      .argument('<a>', 'NAME@A', refArgument)
      .argument('<b>', 'NAME@B', refArgument)
      .addOption(dataDirOption())
      .option('--json', 'print JSON')
      .action(async (a: string, b: string, opts: DataDirOpts & { json?: boolean }) => {
        const diff = await diffVersions(opts.dataDir, a, b);
        if (opts.json) printJson(diff);
        else print(formatDiff(diff));
      }),
  );

  dataset.addCommand(
    new Command('export')
      .description('export a version to Parquet or CSV (lists and JSON as JSON text in CSV); never overwrites')
      .argument('<ref>', 'NAME[@V]', refArgument)
      .addOption(new Option('--format <format>', 'output format').choices([...EXPORT_FORMATS]).makeOptionMandatory())
      .requiredOption('--out <path>', 'file to write (must not exist)')
      .addOption(dataDirOption())
      .action(async (ref: string, opts: DataDirOpts & { format: ExportFormat; out: string }) => {
        const result = await exportVersion(opts.dataDir, ref, { format: opts.format, out: opts.out });
        print(`${result.ref}: ${result.rows} rows written to ${result.path} (${result.format})\n`);
      }),
  );

  dataset.addCommand(
    new Command('verify')
      .description('prove a version is unchanged: re-hash every file and the content (exit 1 if not)')
      .argument('<ref>', 'NAME[@V]', refArgument)
      .addOption(dataDirOption())
      .option('--json', 'print JSON')
      .action(async (ref: string, opts: DataDirOpts & { json?: boolean }) => {
        const result = await verifyVersion(opts.dataDir, ref);
        if (opts.json) printJson(result);
        else print(formatVerify(result));
        if (!result.ok) process.exitCode = 1;
      }),
  );

  dataset.addCommand(
    new Command('build')
      .description("build the next version of NAME from the store's rows of one or more runs")
      .argument('<name>', 'dataset name')
      .requiredOption('--from <run...>', 'run id(s) whose rows make the version')
      .option('--csv', 'also write data.csv into the version')
      .addOption(dataDirOption())
      .action(async (name: string, opts: DataDirOpts & { from: string[]; csv?: boolean }) => {
        validateDatasetName(name);
        for (const runId of opts.from) validateRunId(runId);
        // Opening a store creates one: a mistyped --data-dir must not leave an empty store behind.
        if (!existsSync(join(opts.dataDir, STORE_FILE))) {
          throw new UsageError(`no store in ${opts.dataDir}: nothing was collected there (check --data-dir)`);
        }
        const store = await openStore(opts.dataDir);
        try {
          const m = await store.buildVersion(name, {
            runs: opts.from,
            formats: opts.csv ? ['parquet', 'csv'] : ['parquet'],
          });
          print(`${m.dataset}@${m.version}: ${m.rows} rows, content sha256 ${m.contentSha256}\n`);
        } finally {
          await store.close();
        }
      }),
  );

  dataset.addCommand(
    new Command('relabel')
      .description('build a new version whose labels are re-derived from nmap_guesses under a taxonomy (no rescanning)')
      .argument('<ref>', 'NAME@V to relabel', refArgument)
      .requiredOption('--taxonomy <taxonomy>', '"default" or a taxonomy JSON file (version, rules, fallback)')
      .option('--csv', 'also write data.csv into the version')
      .addOption(dataDirOption())
      .action(async (ref: string, opts: DataDirOpts & { taxonomy: string; csv?: boolean }) => {
        const taxonomy = await loadTaxonomy(opts.taxonomy);
        const m = await relabelVersion(opts.dataDir, ref, (json) => relabel(json, taxonomy), {
          taxonomyVersion: taxonomy.version,
          formats: opts.csv ? ['parquet', 'csv'] : ['parquet'],
        });
        print(
          `${m.dataset}@${m.version}: ${m.rows} rows relabelled from ${m.dataset}@${m.parent ?? '?'} under taxonomy ${taxonomy.version}\n`,
        );
      }),
  );
  dataset.addCommand(datasetEvaluateCommand());
  dataset.addCommand(datasetP0fDbCommand());
  return dataset;
}

async function loadTaxonomy(spec: string): Promise<Taxonomy> {
  if (spec === 'default') return DEFAULT_TAXONOMY;
  let text: string;
  try {
    text = await readFile(spec, 'utf8');
  } catch (error) {
    throw new UsageError(
      `--taxonomy ${spec}: cannot read it (${error instanceof Error ? error.message : String(error)}); give "default" or a JSON file`,
    );
  }
  try {
    return parseTaxonomy(JSON.parse(text), `--taxonomy ${spec}`);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
